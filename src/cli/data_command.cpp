// softvit data inspect --config F [--set key=value ...]: what the configured data holds: classes,
// counts per split and class, image sizes, and every sample that cannot be read. The other splits
// are listed in the training split's class order, as training and softvit eval label them: a class
// a split lacks shows a count of 0, and a class the training split lacks is listed as a problem.
// WebDataset shards are listed, then read in one streaming pass. (`data pack`: data_pack_command.cpp.)
#include <algorithm>
#include <iostream>
#include <map>

#include "cli/commands.h"
#include "cli/progress.h"
#include "core/config.h"
#include "core/error.h"
#include "core/strings.h"
#include "data/decode.h"
#include "data/dicom/dicom_decode.h"
#include "data/dicom/dicom_tally.h"
#include "data/sources/make_source.h"
#include "data/sources/source_registry.h"
#include "data/validation_split.h"
#include "data/webdataset/shard_scan.h"

namespace softvit::cli {
namespace {

// What inspect prints of a split, from any source.
struct SplitSummary {
  int64_t samples = 0;
  bool multi_label = false;
  std::vector<std::string> classes;
  std::vector<int64_t> per_class;
  int channels = 3;
  std::map<std::pair<int64_t, int64_t>, int64_t> sizes;  // (width, height) -> images read
  std::vector<DataProblem> problems;
  DicomTally dicom;  // modality, bit depth, photometric interpretation, transfer syntax of DICOM files
};

void print_summary(const std::string& split, const SplitSummary& s, std::ostream& out, int64_t& unreadable) {
  out << "split " << split << ": " << s.samples << " samples" << (s.multi_label ? " (multi-label)" : "")
      << "\n";
  for (size_t c = 0; c < s.classes.size(); ++c)
    out << "  " << c << " " << s.classes[c] << ": " << s.per_class[c] << "\n";
  int64_t read = 0, min_w = INT64_MAX, max_w = 0, min_h = INT64_MAX, max_h = 0;
  double sum_w = 0, sum_h = 0;
  for (const auto& [size, count] : s.sizes) {
    const auto [w, h] = size;
    read += count;
    min_w = std::min(min_w, w), max_w = std::max(max_w, w), sum_w += static_cast<double>(w) * count;
    min_h = std::min(min_h, h), max_h = std::max(max_h, h), sum_h += static_cast<double>(h) * count;
  }
  if (read > 0) {
    out << "  image size: width " << min_w << ".." << max_w << " (mean " << fixed(sum_w / read, 1)
        << "), height " << min_h << ".." << max_h << " (mean " << fixed(sum_h / read, 1) << "), "
        << s.channels << " channel(s) as loaded\n";
    std::vector<std::pair<int64_t, std::string>> common;
    for (const auto& [size, count] : s.sizes) common.push_back({count, cat(size.first, "x", size.second)});
    std::sort(common.rbegin(), common.rend());
    out << "  most common sizes:";
    for (size_t k = 0; k < std::min<size_t>(3, common.size()); ++k)
      out << " " << common[k].second << " (" << common[k].first << ")";
    out << "\n";
  }
  s.dicom.print(out);
  out << "  unreadable: " << s.problems.size() << "\n";
  for (const auto& p : s.problems) out << "    " << p.file << ": " << p.reason << "\n";
  unreadable += static_cast<int64_t>(s.problems.size());
}

// A random-access source: every image read once.
SplitSummary summarise_source(const DataSection& listing, const std::string& split,
                              const std::vector<std::string>& model_classes) {
  const SourcePtr source = make_source_for_classes(listing, split, model_classes);
  SplitSummary summary;
  summary.samples = source->size();
  summary.multi_label = source->multi_label();
  summary.classes = source->classes();
  summary.per_class.assign(summary.classes.size(), 0);
  DecodeOptions decode;
  decode.channels = listing.channels > 0 ? listing.channels : source->native_channels();
  decode.minmax_16bit = listing.scale_16bit == "minmax";
  decode.dicom = dicom_options(listing);
  summary.channels = decode.channels;
  summary.problems = source->problems();
  Progress progress(cat("data inspect (", split, ")"), source->size(), "images");  // decodes every image
  for (int64_t i = 0; i < source->size(); ++i, progress.advance()) {
    if (source->multi_label()) {
      const auto row = source->labels(i);
      for (size_t k = 0; k < row.size(); ++k) summary.per_class[k] += row[k];
    } else {
      ++summary.per_class[static_cast<size_t>(source->label(i))];
    }
    const RawImage raw = source->load(i);  // loaded here rather than by read(): DICOM headers are counted
    if (!raw.ok()) {
      summary.problems.push_back({raw.name, raw.name + ": " + raw.error});
      continue;
    }
    summary.dicom.add_if_dicom(raw.encoded, raw.name);
    try {
      const cv::Mat image = raw.pixels.empty() ? decode_image(raw.encoded, raw.name, decode)
                                               : convert_pixels(raw.pixels, decode);
      ++summary.sizes[{image.cols, image.rows}];
    } catch (const DataError& e) {
      summary.problems.push_back({raw.name, e.what()});
    }
  }
  progress.done();
  return summary;
}

// WebDataset shards: the listing, then one streaming pass that decodes every image.
SplitSummary summarise_shards(const DataSection& listing, const std::string& split,
                              const std::vector<std::string>& model_classes) {
  const ShardSplit shards = open_shard_split(listing, split, model_classes);
  DecodeOptions decode;
  decode.channels = listing.channels > 0 ? listing.channels : 3;
  decode.minmax_16bit = listing.scale_16bit == "minmax";
  decode.dicom = dicom_options(listing);
  const ImageScan scan = scan_shard_images(shards, decode, listing.workers);
  SplitSummary summary;
  summary.samples = shards.index.total;
  summary.classes = shards.classes;
  summary.per_class = shards.index.class_counts;
  summary.channels = decode.channels;
  for (const auto& [size, count] : scan.sizes) summary.sizes[{size.first, size.second}] = count;
  summary.problems = shards.index.problems;
  summary.dicom = scan.dicom;
  summary.problems.insert(summary.problems.end(), scan.unreadable.begin(), scan.unreadable.end());
  return summary;
}

// Lists `split` labelled by `model_classes` (empty: its own classes); returns the classes used.
std::vector<std::string> inspect_split(const DataSection& data, const std::string& split,
                                       const std::vector<std::string>& model_classes, std::ostream& out,
                                       int64_t& unreadable) {
  DataSection listing = data;
  listing.on_error = "skip";  // list every problem instead of stopping at the first
  SplitSummary summary;
  try {
    summary = source_kind(data.source).streamed ? summarise_shards(listing, split, model_classes)
                                                : summarise_source(listing, split, model_classes);
  } catch (const DataError& e) {
    out << "split " << split << ": cannot be listed: " << e.what() << "\n";
    ++unreadable;
    return {};
  }
  print_summary(split, summary, out, unreadable);
  return summary.classes;
}

}  // namespace

void add_data_command(CLI::App& app) {
  auto* data = app.add_subcommand("data", "look at the configured dataset, or write it as WebDataset shards");
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
    DataSection d = config.data;
    std::cout << "source " << d.source << " at " << d.root << "\n";
    try {  // the validation split as training would choose it
      d = resolve_validation(config.data);
      std::cout << "validation: " << describe_validation(d) << "\n";
    } catch (const ConfigError& e) {
      std::cout << "validation: not configured: " << e.what() << "\n";
    }
    std::vector<std::string> splits;
    for (const auto& s : {d.train_split, d.val_split, d.test_split})
      if (!s.empty() && std::find(splits.begin(), splits.end(), s) == splits.end()) splits.push_back(s);
    int64_t unreadable = 0;
    std::vector<std::string> train_classes;  // the first split listed is the training split
    for (const auto& split : splits) {
      const auto classes = inspect_split(d, split, train_classes, std::cout, unreadable);
      if (split == d.train_split) train_classes = classes;
    }
    std::cout << "unreadable in total: " << unreadable << "\n";
  });
  add_data_pack_command(*data);
}

}  // namespace softvit::cli
