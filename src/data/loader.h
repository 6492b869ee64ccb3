// The streaming loader: a pool of worker threads turns the samples of a Source into whole
// batches through a transform Pipeline, a bounded number of batches ahead.
//
// Reproducibility: the epoch order comes from (seed, epoch) (sampler.h) and every sample's
// random choices from an Rng seeded by (seed, epoch, position in the epoch order), each batch's
// mixup from (seed, epoch, batch number); so the batches are the same whatever the number of
// workers or the order in which they finish.
//
// Device: for CUDA the workers fill uint8 batches (pinned memory) that next() copies to the
// device and normalises there; on the CPU the workers normalise themselves. Random erasing and
// mixup/cutmix follow normalisation in both cases.
//
// Bad samples: under on_error stop (skip_bad false) an unreadable sample ends the epoch with a
// DataError naming the file and reason; under skip it is logged and counted in skipped(). A
// training loader (replace_bad) replaces it by a sample drawn from (seed, epoch, position,
// attempt), so batch shapes stay fixed; an evaluation loader leaves it out of its batch (and lists
// its position in dropped_positions()): evaluation never scores one image in place of another.
#pragma once
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "data/batch_builder.h"
#include "data/data_loader.h"
#include "data/sampler.h"
#include "data/skip_log.h"
#include "data/sources/source.h"
#include "data/transforms/mixup.h"
#include "data/transforms/pipeline.h"

namespace softvit {

struct RunConfig;  // core/config.h

struct LoaderConfig {
  int64_t batch_size = 128;
  bool drop_last = false;
  SamplerOptions sampler;
  int workers = 0;   // 0: all cores
  int prefetch = 0;  // batches ahead; 0: two per worker
  DecodeOptions decode;
  bool roi_decode = true;
  bool skip_bad = false;
  bool replace_bad = false;  // training: a skipped sample is replaced; otherwise it is left out
  std::vector<std::string> transforms;
  std::string transforms_key = "transforms";  // names the config entry in errors
  std::vector<double> mean = {0.0}, std = {1.0};
  MixupOptions mixup;  // classes filled in from the source
  torch::Device device = torch::kCPU;
  bool decode_on_device = false;      // data.decode: gpu (training loaders; batch_builder.h)
  bool device_decode_on_cpu = false;  // tests: run the GPU decode path's steps on a CPU device
};

class Loader : public DataLoader {
 public:
  Loader(SourcePtr source, LoaderConfig options);
  ~Loader() override;
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  void start_epoch(int64_t epoch) override;
  std::optional<Batch> next() override;
  int64_t batches_per_epoch() const override;

  const Source& source() const { return *source_; }
  const std::vector<std::string>& classes() const override { return source_->classes(); }
  int64_t size() const override { return source_->size(); }
  bool multi_label() const override { return source_->multi_label(); }
  int64_t channels() const override { return options_.decode.channels; }
  int workers() const override { return static_cast<int>(threads_.size()); }
  // Files skipped as unreadable so far, each once (on_error: skip), and problems found in the listing.
  std::vector<DataProblem> skipped() const override;
  std::vector<int64_t> class_counts() const override;
  // Interleaved shares; the positions in the epoch order (sampler.h) of the samples left out of this
  // epoch so far (an evaluation loader under skip), which a sharded evaluation needs to put the
  // ranks' rows together.
  EvaluationShares evaluation_shares() const override;

 private:
  struct Pending;
  struct Sample;
  void work();
  Pending build(int64_t epoch, int64_t batch, const std::vector<EpochEntry>& entries) const;
  Sample produce(int64_t epoch, const EpochEntry& entry, std::vector<DataProblem>& skipped) const;

  SourcePtr source_;
  LoaderConfig options_;
  BatchBuilder builder_;

  mutable std::mutex mutex_;
  std::condition_variable work_ready_, batch_ready_;
  std::vector<std::thread> threads_;
  bool stopping_ = false;
  bool started_ = false;
  uint64_t generation_ = 0;  // bumped by start_epoch: results of older epochs are dropped
  int64_t epoch_ = 0;
  std::vector<EpochEntry> order_;
  int64_t batches_ = 0, next_to_build_ = 0, next_to_return_ = 0;
  std::map<int64_t, std::shared_ptr<Pending>> ready_;
  SkipLog skips_;
  std::vector<int64_t> dropped_positions_;  // samples left out this epoch (evaluation)
};

// LoaderConfig of `config` for a training or an evaluation loader (native_channels: the data's own,
// used when data.channels is 0).
LoaderConfig loader_config(const RunConfig& config, bool train, int rank, int world_size,
                           int native_channels);

// The loader for `split` of the configured data: training (shuffled or sampled, train
// transforms, mixup, drop_last) or evaluation (in order, eval transforms); this rank's share.
// model_classes: label the split in this order (the training split's classes, or a checkpoint's;
// see make_source_for_classes); empty: the split's own. data.source webdataset: a ShardLoader.
std::unique_ptr<DataLoader> make_loader(const RunConfig& config, const std::string& split, bool train,
                                        int rank = 0, int world_size = 1,
                                        const std::vector<std::string>& model_classes = {});
// A Loader over a source of one's own (softvit predict's unlabelled images).
std::unique_ptr<Loader> make_loader(const RunConfig& config, SourcePtr source, bool train, int rank = 0,
                                    int world_size = 1);

}  // namespace softvit
