// The listing pass over a split's shards: every shard is read once (headers and label members
// only; on a plain .tar the image data is seeked over), in parallel, to count its usable samples
// and the labels. The counts fix the length of an epoch and the per-class counts; bad samples are
// found here, so the streaming pass that follows agrees with this one on which samples exist.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "data/sources/source.h"
#include "data/webdataset/shard_reader.h"

namespace softvit {

struct ShardInfo {
  std::string path;
  std::string name;     // the file name: a sample is named "name:key"
  int64_t samples = 0;  // the shard's first `samples` usable samples belong to the split
};

struct ShardIndex {
  std::vector<ShardInfo> shards;      // those with usable samples, in the order given
  std::vector<int64_t> class_counts;  // rule.classes entries, or (no class count given) max label + 1
  std::vector<DataProblem> problems;  // what was left out under on_error: skip
  int64_t total = 0;                  // samples in all shards
};

struct ListingOptions {
  LabelRule rule;
  bool skip_bad = false;  // on_error: skip
  int threads = 0;        // 0: all cores
  int64_t limit = 0;      // keep only the first `limit` samples, in shard order; 0: all
};

// Throws DataError naming the shard and key (a sample without image or label, a label out of
// range) or the shard (corrupt or truncated) under on_error: stop. Under skip such samples are left
// out and recorded, and a corrupt shard counts the samples before the damage.
ShardIndex list_shards(const std::vector<std::string>& paths, const ListingOptions& options);

// "name:key", how a sample is named in messages and batches.
std::string sample_name(const ShardInfo& shard, const std::string& key);

}  // namespace softvit
