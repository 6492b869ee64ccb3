// A split of data.source webdataset, opened: its shard files (data.shards), its classes and label
// rule, and the listing of its shards (shard_index.h).
#pragma once
#include <string>
#include <vector>

#include "core/config/data_section.h"
#include "data/webdataset/shard_index.h"
#include "data/webdataset/shard_reader.h"

namespace softvit {

struct ShardSplit {
  std::vector<std::string> classes;
  LabelRule rule;
  ShardIndex index;
  size_t files = 0;  // shard files named, with or without samples
};

// The classes are model_classes when given (labels must be below their count), else data.classes,
// else data.classes_file, else "0".."C-1" with C the largest label + 1. Keeps the first `limit`
// samples when limit > 0. Throws ConfigError/DataError as resolve_shards and list_shards do, and
// DataError when the split holds no usable sample.
ShardSplit open_shard_split(const DataSection& data, const std::string& split,
                            const std::vector<std::string>& model_classes, int64_t limit = 0);

}  // namespace softvit
