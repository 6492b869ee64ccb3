// What the trainer, the evaluator and the CLI need of a loader, whatever the layout of the data:
// the random-access Loader (loader.h) over a Source, or the ShardLoader (shard_loader.h) that
// streams WebDataset shards.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "data/batch.h"
#include "data/sources/source.h"

namespace softvit {

// How an evaluation loader shares a split among ranks: `interleaved`, sample p to rank p mod W,
// every share padded to ceil(N / W) with repeats of the first samples (the Loader's sampler);
// `disjoint`, parts of any size that together hold each sample once (the ShardLoader's shards; a
// sample left out as unreadable is in none).
enum class ShareLayout { interleaved, disjoint };

// What a sharded evaluation needs to put the ranks' rows together: the layout, and for interleaved
// shares the positions in the epoch order (sampler.h) of the samples this rank left out as
// unreadable (they have no row).
struct EvaluationShares {
  ShareLayout layout = ShareLayout::interleaved;
  std::vector<int64_t> dropped_positions;
};

class DataLoader : public BatchSource {
 public:
  virtual const std::vector<std::string>& classes() const = 0;
  // Samples in the split, all ranks together.
  virtual int64_t size() const = 0;
  virtual bool multi_label() const = 0;
  virtual int64_t channels() const = 0;
  virtual int workers() const = 0;
  // Samples skipped as unreadable so far, each once (on_error: skip), and problems of the listing.
  virtual std::vector<DataProblem> skipped() const = 0;
  // Samples per class over the whole split (multi-label: positives per class), e.g. for
  // inverse-frequency class weights.
  virtual std::vector<int64_t> class_counts() const = 0;
  virtual EvaluationShares evaluation_shares() const { return {}; }
  // Passes over the next `batches` batches of the epoch started as next() would, without handing
  // them out (resuming mid-epoch): what next() returns afterwards is what it would have returned.
  virtual void skip(int64_t batches) {
    for (int64_t i = 0; i < batches; ++i) next();
  }
};

}  // namespace softvit
