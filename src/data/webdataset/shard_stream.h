// One reader stream of the ShardLoader: the usable samples of its shards, read in order without
// extracting, through a seeded shuffle buffer (webdataset's shuffle: the buffer is filled, then
// each sample taken is a random one of the buffer and its place goes to the next sample read). A
// repeating stream (training) starts its shards again, in a new seeded order, when they run out;
// the buffer is emptied before, so that each pass over the shards yields each sample once. What it
// yields depends only on its shards and seed. Memory: the buffer's samples, encoded.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "data/rng.h"
#include "data/webdataset/shard_index.h"
#include "data/webdataset/shard_reader.h"

namespace softvit {

struct StreamSample {
  std::string name;  // "shard:key"
  std::vector<uint8_t> image;
  int64_t label = 0;
};

struct StreamOptions {
  bool skip_bad = false;  // on_error: skip (the listing already recorded what is left out)
  bool repeat = false;    // start again when the shards run out (training)
  int64_t buffer = 1;     // shuffle buffer in samples; 1: in stored order
  uint64_t seed = 0;      // of the buffer and of the shard order of later passes
};

class ShardStream {
 public:
  ShardStream(std::vector<ShardInfo> shards, const LabelRule& rule, StreamOptions options);

  // The next sample; nullopt at the end (never for a repeating stream). Under on_error: stop a bad
  // sample or a corrupt shard is a DataError naming the shard (and the key).
  std::optional<StreamSample> next();

 private:
  std::optional<StreamSample> read();  // the next usable sample of this pass; nullopt at its end
  void start_next_pass();

  std::vector<ShardInfo> shards_;  // in this pass's order
  LabelRule rule_;
  StreamOptions options_;
  Rng rng_;
  std::unique_ptr<ShardReader> reader_;
  size_t position_ = 0;  // the shard being read
  int64_t taken_ = 0;    // usable samples taken from it
  int64_t pass_ = 0, pass_samples_ = 0;
  bool pass_done_ = false;
  std::vector<StreamSample> buffer_;
};

// A seeded Fisher-Yates shuffle (rng.h draws), used for the shard orders.
template <typename T>
void seeded_shuffle(std::vector<T>& items, Rng& rng) {
  for (size_t i = items.size(); i > 1; --i)
    std::swap(items[i - 1], items[static_cast<size_t>(rng.below(static_cast<int64_t>(i)))]);
}

}  // namespace softvit
