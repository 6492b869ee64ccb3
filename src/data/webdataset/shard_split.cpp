#include "data/webdataset/shard_split.h"

#include <chrono>
#include <filesystem>

#include "core/error.h"
#include "core/strings.h"
#include "data/webdataset/class_list.h"
#include "data/webdataset/shard_patterns.h"
#include "log/log.h"

namespace softvit {

ShardSplit open_shard_split(const DataSection& data, const std::string& split,
                            const std::vector<std::string>& model_classes, int64_t limit) {
  ShardSplit out;
  if (!model_classes.empty())
    out.classes = model_classes;
  else if (!data.classes.empty())
    out.classes = data.classes;
  else if (!data.classes_file.empty())
    out.classes = read_class_list((std::filesystem::path(data.root) / data.classes_file).string());
  out.rule.json_field = data.label_field;
  out.rule.class_names = out.classes;
  out.rule.classes = static_cast<int64_t>(out.classes.size());

  const auto paths = resolve_shards(data.root, data.shards, split);
  out.files = paths.size();
  ListingOptions listing;
  listing.rule = out.rule;
  listing.skip_bad = data.on_error == "skip";
  listing.threads = data.workers;
  listing.limit = limit;
  const auto start = std::chrono::steady_clock::now();
  out.index = list_shards(paths, listing);
  if (out.index.total == 0)
    throw DataError(cat("split '", split, "' of ", data.root, " has no readable samples in its ",
                        paths.size(), " shards"));
  auto& counts = out.index.class_counts;
  if (out.classes.empty())
    for (size_t c = 0; c < counts.size(); ++c) out.classes.push_back(std::to_string(c));
  counts.resize(out.classes.size(), 0);
  log::info(cat("webdataset: split ", split, ": ", out.index.total, " samples in ", out.index.shards.size(),
                " shards, ", out.classes.size(), " classes (listed in ",
                fixed(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 1),
                " s)"));
  return out;
}

}  // namespace softvit
