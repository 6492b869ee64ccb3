// softvit data inspect --config F [--set key=value ...]: what the configured data holds: classes,
// counts per split and class, image sizes, and every sample that cannot be read. The other splits
// are listed in the training split's class order, as training and softvit eval label them: a class
// a split lacks shows a count of 0, and a class the training split lacks is listed as a problem.
#include <algorithm>
#include <iostream>
#include <map>

#include "cli/commands.h"
#include "cli/progress.h"
#include "core/config.h"
#include "core/error.h"
#include "core/strings.h"
#include "data/sources/make_source.h"

namespace softvit::cli {
namespace {

// Lists `split` labelled by `model_classes` (empty: its own classes); returns the classes used.
std::vector<std::string> inspect_split(const DataSection& data, const std::string& split,
                                       const std::vector<std::string>& model_classes, std::ostream& out,
                                       int64_t& unreadable) {
  DataSection listing = data;
  listing.on_error = "skip";  // list every problem instead of stopping at the first
  SourcePtr source;
  try {
    source = make_source_for_classes(listing, split, model_classes);
  } catch (const DataError& e) {
    out << "split " << split << ": cannot be listed: " << e.what() << "\n";
    ++unreadable;
    return {};
  }
  const auto& classes = source->classes();
  std::vector<int64_t> per_class(classes.size(), 0);
  DecodeOptions decode;
  decode.channels = data.channels > 0 ? data.channels : source->native_channels();
  decode.minmax_16bit = data.scale_16bit == "minmax";
  std::vector<DataProblem> problems = source->problems();
  int64_t read = 0, min_w = INT64_MAX, max_w = 0, min_h = INT64_MAX, max_h = 0;
  double sum_w = 0, sum_h = 0;
  std::map<std::string, int64_t> sizes;
  Progress progress(cat("data inspect (", split, ")"), source->size(), "images");  // decodes every image
  for (int64_t i = 0; i < source->size(); ++i, progress.advance()) {
    if (source->multi_label()) {
      const auto row = source->labels(i);
      for (size_t k = 0; k < row.size(); ++k) per_class[k] += row[k];
    } else {
      ++per_class[static_cast<size_t>(source->label(i))];
    }
    const auto decoded = source->read(i, decode);
    if (!decoded.error.empty()) {
      problems.push_back({decoded.name, decoded.error});
      continue;
    }
    const int64_t w = decoded.image.cols, h = decoded.image.rows;
    ++read;
    min_w = std::min(min_w, w), max_w = std::max(max_w, w), sum_w += w;
    min_h = std::min(min_h, h), max_h = std::max(max_h, h), sum_h += h;
    ++sizes[cat(w, "x", h)];
  }
  progress.done();
  out << "split " << split << ": " << source->size() << " samples"
      << (source->multi_label() ? " (multi-label)" : "") << "\n";
  for (size_t c = 0; c < classes.size(); ++c)
    out << "  " << c << " " << classes[c] << ": " << per_class[c] << "\n";
  if (read > 0) {
    out << "  image size: width " << min_w << ".." << max_w << " (mean " << fixed(sum_w / read, 1)
        << "), height " << min_h << ".." << max_h << " (mean " << fixed(sum_h / read, 1) << "), "
        << decode.channels << " channel(s) as loaded\n";
    std::vector<std::pair<int64_t, std::string>> common;
    for (const auto& s : sizes) common.push_back({s.second, s.first});
    std::sort(common.rbegin(), common.rend());
    out << "  most common sizes:";
    for (size_t k = 0; k < std::min<size_t>(3, common.size()); ++k)
      out << " " << common[k].second << " (" << common[k].first << ")";
    out << "\n";
  }
  out << "  unreadable: " << problems.size() << "\n";
  for (const auto& p : problems) out << "    " << p.file << ": " << p.reason << "\n";
  unreadable += static_cast<int64_t>(problems.size());
  return classes;
}

}  // namespace

void add_data_command(CLI::App& app) {
  auto* data = app.add_subcommand("data", "look at the configured dataset");
  data->require_subcommand(1);
  struct Args {
    std::string config;
    std::vector<std::string> overrides;
  };
  auto args = std::make_shared<Args>();
  auto* inspect =
      data->add_subcommand("inspect", "classes, counts per split and class, image sizes, unreadable files");
  inspect->add_option("-c,--config", args->config, "config file")->required();
  inspect->add_option("--set", args->overrides, "override an option: key=value (repeatable)");
  inspect->callback([args] {
    const RunConfig config = load_config(args->config, args->overrides);
    const auto& d = config.data;
    std::cout << "source " << d.source << " at " << d.root << "\n";
    std::vector<std::string> splits;
    for (const auto& s : {d.train_split, d.val_split, d.test_split})
      if (std::find(splits.begin(), splits.end(), s) == splits.end()) splits.push_back(s);
    int64_t unreadable = 0;
    std::vector<std::string> train_classes;  // the first split listed is the training split
    for (const auto& split : splits) {
      const auto classes = inspect_split(d, split, train_classes, std::cout, unreadable);
      if (split == d.train_split) train_classes = classes;
    }
    std::cout << "unreadable in total: " << unreadable << "\n";
  });
}

}  // namespace softvit::cli
