// The loader of data.source webdataset: it streams a split's shards (src/data/webdataset) without
// extracting them, in bounded memory, and builds batches with the same pipeline, normalisation,
// erasing and mixup as the Loader (batch_builder.h).
//
// Split of the work. Training, each epoch: the shards are shuffled by (seed, epoch) and dealt to
// the ranks, each shard to the rank with the fewest samples so far (round-robin when shards are
// equal), then a rank's shards to its `streams` reader streams the same way; fewer shards than
// streams give fewer streams, fewer shards than ranks is an error. Batch k is read from stream
// k mod S through that stream's seeded shuffle buffer (shard_stream.h); its samples are decoded
// and augmented by any worker thread with random draws keyed by (seed, epoch, rank, k, position).
// So a batch depends only on (seed, epoch, rank, world size, shards), never on thread timing.
//
// End of an epoch. Training: every rank runs floor(total samples / (world size x batch)) steps; a
// stream whose shards run out before that starts them again in a new order, so when shards are
// uneven some samples are seen twice in an epoch and others not at all (as webdataset's
// with_epoch). Evaluation: no shuffle; every sample of the split exactly once, the shards dealt to
// the ranks and streams as above; a stream's last batch may be short; a rank's count of samples
// may differ from another's (dist/eval_gather.h merges them).
//
// Resume: skip(n) reads and shuffles the first n batches but does not decode them; the batches that
// follow equal those of an uninterrupted epoch.
//
// Bad data (data.on_error): the listing finds samples without image or label, labels out of range
// and corrupt shards: under stop a DataError naming shard and key (or the shard), under skip they
// are left out (and the rest of a corrupt shard). An image that cannot be decoded: under stop a
// DataError naming shard:key; under skip it is logged and listed by skipped(), and in training the
// batch's next sample (decoded with its own random draws) takes its place, so batch shapes stay
// fixed; in evaluation it is left out of the batch.
#pragma once
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "data/batch_builder.h"
#include "data/data_loader.h"
#include "data/loader.h"
#include "data/skip_log.h"
#include "data/webdataset/shard_index.h"
#include "data/webdataset/shard_stream.h"

namespace softvit {

struct RunConfig;  // core/config.h

struct ShardLoaderConfig {
  LoaderConfig loader;            // batch size, seed, rank, world size, workers, prefetch, pipeline, device
  bool train = false;             // shuffled epochs, repeating streams, equal steps on every rank
  int streams = 4;                // reader streams per rank
  int64_t shuffle_buffer = 1000;  // samples per stream (training)
};

class ShardLoader : public DataLoader {
 public:
  ShardLoader(ShardIndex index, std::vector<std::string> classes, LabelRule rule, ShardLoaderConfig options);
  ~ShardLoader() override;
  ShardLoader(const ShardLoader&) = delete;
  ShardLoader& operator=(const ShardLoader&) = delete;

  void start_epoch(int64_t epoch) override;
  std::optional<Batch> next() override;
  int64_t batches_per_epoch() const override;
  void skip(int64_t batches) override;

  const std::vector<std::string>& classes() const override { return classes_; }
  int64_t size() const override { return index_.total; }
  bool multi_label() const override { return false; }
  int64_t channels() const override { return options_.loader.decode.channels; }
  int workers() const override { return static_cast<int>(threads_.size()); }
  std::vector<DataProblem> skipped() const override;
  std::vector<int64_t> class_counts() const override { return index_.class_counts; }
  EvaluationShares evaluation_shares() const override { return {ShareLayout::disjoint, {}}; }

  // This rank's shards in `epoch`, by reader stream, in reading order.
  std::vector<std::vector<ShardInfo>> stream_shards(int64_t epoch) const { return plan(epoch).streams; }

 private:
  struct Plan {
    std::vector<std::vector<ShardInfo>> streams;   // each stream's shards
    std::vector<std::vector<int64_t>> batches_of;  // the batches each stream fills, in order
    std::vector<int64_t> sizes;                    // samples wanted in each batch
  };
  struct Built;
  Plan plan(int64_t epoch) const;
  void work();
  int readable_stream() const;  // a stream free to read its next batch, or -1
  Built build(int64_t epoch, int64_t batch, std::vector<StreamSample> samples) const;

  ShardIndex index_;
  std::vector<std::string> classes_;
  LabelRule rule_;
  ShardLoaderConfig options_;
  BatchBuilder builder_;

  mutable std::mutex mutex_;
  std::condition_variable work_ready_, batch_ready_;
  std::vector<std::thread> threads_;
  bool stopping_ = false;
  bool started_ = false;
  uint64_t generation_ = 0;  // bumped by start_epoch: results of older epochs are dropped
  int64_t epoch_ = 0;
  Plan plan_;
  std::vector<std::shared_ptr<ShardStream>> streams_;
  std::vector<size_t> cursor_;  // per stream: the entry of plan_.batches_of to read next
  std::vector<bool> reading_;
  std::vector<std::exception_ptr> stream_error_;
  std::map<int64_t, std::vector<StreamSample>> read_;  // read, not yet decoded
  std::map<int64_t, std::shared_ptr<Built>> ready_;
  int64_t next_to_return_ = 0;
  SkipLog skips_;
};

// The ShardLoader for `split` of a webdataset config (make_loader calls it).
std::unique_ptr<DataLoader> make_shard_loader(const RunConfig& config, const std::string& split, bool train,
                                              int rank, int world_size,
                                              const std::vector<std::string>& model_classes);

}  // namespace softvit
