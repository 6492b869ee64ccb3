#include "data/loader.h"

#include <opencv2/core/utility.hpp>

#include "core/config.h"
#include "core/error.h"
#include "core/strings.h"
#include "data/dicom/dicom_decode.h"
#include "data/shard_loader.h"
#include "data/sources/make_source.h"
#include "data/sources/source_registry.h"
#include "log/log.h"

namespace softvit {

constexpr int kMaxReplacements = 50;  // unreadable samples in a row before giving up under skip

struct Loader::Sample {
  SampleImage image;
  int64_t index = 0;     // the sample actually used (a replacement under skip)
  std::string name;      // its identifier (RawImage::name)
  bool dropped = false;  // unreadable and left out (evaluation under skip)
  EraseBox erase;
};

struct Loader::Pending : PreparedBatch {
  std::exception_ptr error;
  std::vector<DataProblem> skipped;
  std::vector<int64_t> dropped_positions;
  bool empty = false;  // every sample of the batch was left out
};

Loader::Loader(SourcePtr source, LoaderConfig options)
    : source_(std::move(source)),
      options_(std::move(options)),
      skips_(options_.replace_bad ? "replaced by another" : "left out, not scored") {
  if (options_.batch_size < 1) throw ConfigError("batch size must be at least 1");
  options_.mixup.classes = static_cast<int64_t>(source_->classes().size());
  builder_ = BatchBuilder(options_);
  for (const auto& p : source_->problems()) log::warn(cat("data: skipped ", p.file, ": ", p.reason));

  // The workers parallelise over samples; OpenCV's own threads would only compete with them.
  cv::setNumThreads(1);
  int workers =
      options_.workers > 0 ? options_.workers : static_cast<int>(std::thread::hardware_concurrency());
  workers = std::max(1, workers);
  if (options_.prefetch <= 0) options_.prefetch = 2 * workers;
  for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { work(); });
}

Loader::~Loader() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  work_ready_.notify_all();
  for (auto& t : threads_) t.join();
}

int64_t Loader::batches_per_epoch() const {
  const int64_t world = options_.sampler.world_size;
  const int64_t per_rank = (source_->size() + world - 1) / world;
  const int64_t b = options_.batch_size;
  return options_.drop_last ? per_rank / b : (per_rank + b - 1) / b;
}

void Loader::start_epoch(int64_t epoch) {
  {
    // Already started for this epoch and nothing taken yet: keep the batches built ahead.
    std::lock_guard<std::mutex> lock(mutex_);
    if (started_ && epoch == epoch_ && next_to_return_ == 0) return;
  }
  std::vector<EpochEntry> order = epoch_order(*source_, options_.sampler, epoch);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++generation_;
    started_ = true;
    epoch_ = epoch;
    order_ = std::move(order);
    const int64_t b = options_.batch_size, n = static_cast<int64_t>(order_.size());
    batches_ = options_.drop_last ? n / b : (n + b - 1) / b;
    next_to_build_ = next_to_return_ = 0;
    ready_.clear();
    dropped_positions_.clear();
  }
  skips_.start_epoch();
  work_ready_.notify_all();
}

std::vector<int64_t> Loader::class_counts() const {
  std::vector<int64_t> counts(source_->classes().size(), 0);
  for (int64_t i = 0; i < source_->size(); ++i) {
    if (source_->multi_label()) {
      const auto row = source_->labels(i);
      for (size_t k = 0; k < row.size() && k < counts.size(); ++k) counts[k] += row[k];
    } else {
      ++counts[static_cast<size_t>(source_->label(i))];
    }
  }
  return counts;
}

std::vector<DataProblem> Loader::skipped() const {
  std::vector<DataProblem> all = source_->problems();
  const auto skipped = skips_.distinct();
  all.insert(all.end(), skipped.begin(), skipped.end());
  return all;
}

EvaluationShares Loader::evaluation_shares() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return {ShareLayout::interleaved, dropped_positions_};
}

void Loader::work() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    work_ready_.wait(lock, [this] {
      return stopping_ || (next_to_build_ < batches_ && next_to_build_ < next_to_return_ + options_.prefetch);
    });
    if (stopping_) return;
    const int64_t batch = next_to_build_++;
    const uint64_t generation = generation_;
    const int64_t epoch = epoch_;
    const int64_t b = options_.batch_size;
    const auto first = order_.begin() + batch * b;
    const std::vector<EpochEntry> entries(first, first + std::min<int64_t>(b, order_.end() - first));
    lock.unlock();
    auto pending = std::make_shared<Pending>(build(epoch, batch, entries));
    lock.lock();
    if (generation != generation_) continue;  // start_epoch came in between
    ready_[batch] = std::move(pending);
    batch_ready_.notify_all();
  }
}

std::optional<Batch> Loader::next() {
  if (!started_) start_epoch(0);
  for (;;) {  // past batches whose every sample was left out
    std::shared_ptr<Pending> pending;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      if (next_to_return_ >= batches_) {
        skips_.end_epoch(epoch_);
        return std::nullopt;
      }
      batch_ready_.wait(lock, [this] { return ready_.count(next_to_return_) > 0; });
      pending = ready_[next_to_return_];
      ready_.erase(next_to_return_);
      ++next_to_return_;
      dropped_positions_.insert(dropped_positions_.end(), pending->dropped_positions.begin(),
                                pending->dropped_positions.end());
    }
    work_ready_.notify_all();
    skips_.add(pending->skipped);
    if (pending->error) std::rethrow_exception(pending->error);
    if (pending->empty) continue;
    Batch batch = builder_.finish(*pending);
    skips_.add(pending->unreadable_on_device);
    return batch;
  }
}

Loader::Sample Loader::produce(int64_t epoch, const EpochEntry& entry,
                               std::vector<DataProblem>& skipped) const {
  const uint64_t seed = options_.sampler.seed;
  std::string last_error;
  for (int attempt = 0; attempt <= kMaxReplacements; ++attempt) {
    Rng rng(Rng::key({seed, static_cast<uint64_t>(epoch), static_cast<uint64_t>(entry.position),
                      static_cast<uint64_t>(attempt)}));
    Sample sample;
    sample.index = attempt == 0 ? entry.index : rng.below(source_->size());
    RawImage raw = source_->load(sample.index);
    sample.name = raw.name;
    if (raw.ok()) {
      try {
        sample.image = builder_.transform(raw, rng, sample.erase);
        return sample;
      } catch (const DataError& e) {
        last_error = e.what();
      }
    } else {
      last_error = cat(raw.name, ": ", raw.error);
    }
    if (!options_.skip_bad) throw DataError(cat(last_error, " (data.on_error: skip would skip it)"));
    skipped.push_back({raw.name, last_error});
    if (!options_.replace_bad) {  // evaluation: never another image in its place
      sample.dropped = true;
      return sample;
    }
  }
  throw DataError(cat(kMaxReplacements + 1, " unreadable samples in a row; the last: ", last_error));
}

Loader::Pending Loader::build(int64_t epoch, int64_t batch, const std::vector<EpochEntry>& entries) const {
  Pending pending;
  try {
    std::vector<Sample> samples;
    samples.reserve(entries.size());
    for (const auto& entry : entries) {
      Sample sample = produce(epoch, entry, pending.skipped);
      if (sample.dropped)
        pending.dropped_positions.push_back(entry.position);
      else
        samples.push_back(std::move(sample));
    }
    pending.empty = samples.empty();
    if (pending.empty) return pending;
    const auto n = static_cast<int64_t>(samples.size());
    std::vector<SampleImage> images;
    std::vector<EraseBox> erase;
    for (auto& sample : samples) {
      images.push_back(std::move(sample.image));
      erase.push_back(std::move(sample.erase));
      pending.names.push_back(sample.name);
    }
    torch::Tensor labels;
    if (source_->multi_label()) {
      const auto classes = static_cast<int64_t>(source_->classes().size());
      labels = torch::empty({n, classes}, torch::kInt64);
      auto acc = labels.accessor<int64_t, 2>();
      for (int64_t i = 0; i < n; ++i) {
        const auto row = source_->labels(samples[static_cast<size_t>(i)].index);
        for (int64_t k = 0; k < classes; ++k) acc[i][k] = row[static_cast<size_t>(k)];
      }
    } else {
      labels = torch::empty({n}, torch::kInt64);
      auto* y = labels.data_ptr<int64_t>();
      for (int64_t i = 0; i < n; ++i) y[i] = source_->label(samples[static_cast<size_t>(i)].index);
    }
    Rng batch_rng(Rng::key(
        {options_.sampler.seed, static_cast<uint64_t>(epoch), static_cast<uint64_t>(batch), 0x313ULL}));
    builder_.assemble(pending, std::move(images), std::move(erase), std::move(labels), batch_rng,
                      [&](size_t i) { return samples[i].name; });
  } catch (...) {
    pending.error = std::current_exception();
  }
  return pending;
}

std::unique_ptr<Loader> make_loader(const RunConfig& config, SourcePtr source, bool train, int rank,
                                    int world_size) {
  LoaderConfig o = loader_config(config, train, rank, world_size, source->native_channels());
  return std::make_unique<Loader>(std::move(source), std::move(o));
}

LoaderConfig loader_config(const RunConfig& config, bool train, int rank, int world_size,
                           int native_channels) {
  const DataSection& data = config.data;
  LoaderConfig o;
  o.batch_size = train ? config.train.batch_size : config.train.eval_batch_size;
  o.drop_last = train;
  o.sampler.kind = train ? data.sampler : "sequential";
  o.sampler.seed = static_cast<uint64_t>(config.run.seed);
  o.sampler.rank = rank;
  o.sampler.world_size = world_size;
  o.sampler.repeats = data.repeats;
  o.workers = data.workers;
  o.prefetch = data.prefetch;
  o.decode.channels = data.channels > 0 ? data.channels : native_channels;
  o.decode.minmax_16bit = data.scale_16bit == "minmax";
  o.decode.dicom = dicom_options(data);
  o.roi_decode = data.roi_decode;
  o.skip_bad = data.on_error == "skip";
  o.replace_bad = train;  // evaluation leaves a bad sample out rather than score another in its place
  o.transforms = train ? data.train_transforms : data.eval_transforms;
  o.transforms_key = train ? "data.train_transforms" : "data.eval_transforms";
  if (train && o.transforms.empty()) {  // the simple options of the quickstart
    if (data.pad_crop > 0) o.transforms.push_back(cat("pad_crop(padding=", data.pad_crop, ")"));
    if (data.hflip > 0) o.transforms.push_back(cat("hflip(p=", data.hflip, ")"));
  }
  o.mean = data.mean;
  o.std = data.std;
  if (train) {
    o.mixup.mixup_alpha = data.mixup;
    o.mixup.cutmix_alpha = data.cutmix;
    o.mixup.prob = data.mixup_prob;
    o.mixup.switch_prob = data.mixup_switch_prob;
    o.mixup.label_smoothing = config.train.label_smoothing;
  }
  o.device = torch::Device(config.run.device);
  o.decode_on_device = train && data.decode == "gpu";  // evaluation keeps the reference decoder
  return o;
}

std::unique_ptr<DataLoader> make_loader(const RunConfig& config, const std::string& split, bool train,
                                        int rank, int world_size,
                                        const std::vector<std::string>& model_classes) {
  if (source_kind(config.data.source).streamed)
    return make_shard_loader(config, split, train, rank, world_size, model_classes);
  const DataSection& data = config.data;
  SourcePtr source =
      make_source_for_classes(data, split, model_classes, train ? data.limit_train : data.limit_eval);
  if (source->size() == 0)
    throw DataError(cat("split '", split, "' of ", data.root, " has no readable samples"));
  LoaderConfig o = loader_config(config, train, rank, world_size, source->native_channels());
  return std::make_unique<Loader>(std::move(source), std::move(o));
}

}  // namespace softvit
