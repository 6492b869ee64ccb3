#include "data/loader.h"

#include <opencv2/core/utility.hpp>

#include "core/error.h"
#include "core/strings.h"
#include "data/sources/make_source.h"
#include "log/log.h"

namespace softvit {

constexpr int kMaxReplacements = 50;  // unreadable samples in a row before giving up under skip

struct Loader::Sample {
  cv::Mat image;
  int64_t index = 0;     // the sample actually used (a replacement under skip)
  std::string name;      // its identifier (RawImage::name)
  bool dropped = false;  // unreadable and left out (evaluation under skip)
  EraseBox erase;
};

struct Loader::Pending {
  torch::Tensor pixels;  // CUDA: uint8 B x C x H x W (pinned), normalised by next()
  torch::Tensor images;  // CPU: float, normalised by the worker
  torch::Tensor labels, targets;
  std::vector<EraseBox> erase;
  MixPlan mix;
  bool finished = false;  // erasing and mixing done (CPU path)
  std::exception_ptr error;
  std::vector<DataProblem> skipped;
  std::vector<std::string> names;
  std::vector<int64_t> dropped_positions;
  bool empty = false;  // every sample of the batch was left out
};

Loader::Loader(SourcePtr source, LoaderConfig options)
    : source_(std::move(source)), options_(std::move(options)) {
  if (options_.batch_size < 1) throw ConfigError("batch size must be at least 1");
  const int c = options_.decode.channels;
  auto stats = [c](const std::vector<double>& v, const char* key) {
    if (v.size() != 1 && static_cast<int>(v.size()) != c)
      throw ConfigError(cat("data.", key, " has ", v.size(), " values for ", c, "-channel images"));
  };
  stats(options_.mean, "mean");
  stats(options_.std, "std");
  TransformContext context;
  context.fill.clear();
  for (double m : options_.mean) context.fill.push_back(std::min(255.0, std::nearbyint(255.0 * m)));
  pipeline_ = Pipeline(options_.transforms, options_.transforms_key, context);
  for (int ch = 0; ch < 3; ++ch) {
    const double mean = options_.mean[std::min<size_t>(ch, options_.mean.size() - 1)];
    const double std = options_.std[std::min<size_t>(ch, options_.std.size() - 1)];
    for (int v = 0; v < 256; ++v) lut_[ch][v] = static_cast<float>((v / 255.0 - mean) / std);
  }
  if (options_.device.is_cuda()) {  // 255 mean and 255 std as 1 x C x 1 x 1, on the device once
    const auto c = options_.decode.channels;
    auto stat = [&](const std::vector<double>& v) {
      auto t = torch::tensor(v, torch::kFloat32).mul_(255.0);
      return (t.numel() == 1 ? t.expand({c}).contiguous() : t).to(options_.device).view({1, -1, 1, 1});
    };
    device_mean_ = stat(options_.mean);
    device_std_ = stat(options_.std);
  }
  options_.mixup.classes = static_cast<int64_t>(source_->classes().size());
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
    skip_count_ = 0;
    dropped_positions_.clear();
    epoch_summary_logged_ = false;
  }
  work_ready_.notify_all();
}

std::vector<DataProblem> Loader::skipped() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<DataProblem> all = source_->problems();
  all.insert(all.end(), skipped_.begin(), skipped_.end());
  return all;
}

std::vector<int64_t> Loader::dropped_positions() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return dropped_positions_;
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
    std::vector<DataProblem> fresh;  // files skipped for the first time
    {
      std::unique_lock<std::mutex> lock(mutex_);
      if (next_to_return_ >= batches_) {
        if (skip_count_ > 0 && !epoch_summary_logged_) {
          log::warn(
              cat("data: ", skip_count_, " unreadable samples ",
                  options_.replace_bad ? "skipped and replaced in epoch " : "left out (not scored) of epoch ",
                  epoch_ + 1, " (", skipped_.size(), " distinct files so far)"));
          epoch_summary_logged_ = true;
        }
        return std::nullopt;
      }
      batch_ready_.wait(lock, [this] { return ready_.count(next_to_return_) > 0; });
      pending = ready_[next_to_return_];
      ready_.erase(next_to_return_);
      ++next_to_return_;
      for (const auto& p : pending->skipped) {
        ++skip_count_;
        if (skipped_files_.insert(p.file).second) {
          skipped_.push_back(p);
          fresh.push_back(p);
        }
      }
      dropped_positions_.insert(dropped_positions_.end(), pending->dropped_positions.begin(),
                                pending->dropped_positions.end());
    }
    work_ready_.notify_all();
    for (const auto& p : fresh)
      log::warn(cat("data: skipped unreadable sample ", p.reason,
                    options_.replace_bad ? " (replaced by another)" : " (left out, not scored)"));
    if (pending->error) std::rethrow_exception(pending->error);
    if (!pending->empty) return finish(*pending);
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
        sample.image = pipeline_.run(raw, options_.decode, options_.roi_decode, rng);
        if (pipeline_.erasing())
          sample.erase = plan_erase(*pipeline_.erasing(), sample.image.channels(), sample.image.rows,
                                    sample.image.cols, rng);
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

void Loader::normalise_into(const cv::Mat& image, float* out) const {
  const int c = image.channels(), h = image.rows, w = image.cols;
  const size_t plane = static_cast<size_t>(h) * w;
  for (int y = 0; y < h; ++y) {
    const uint8_t* row = image.ptr<uint8_t>(y);
    for (int ch = 0; ch < c; ++ch) {
      float* dst = out + ch * plane + static_cast<size_t>(y) * w;
      const float* lut = lut_[ch];
      for (int x = 0; x < w; ++x) dst[x] = lut[row[x * c + ch]];
    }
  }
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
    const cv::Mat& first = samples[0].image;
    const int c = first.channels(), h = first.rows, w = first.cols;
    for (int64_t i = 0; i < n; ++i) {
      const cv::Mat& m = samples[static_cast<size_t>(i)].image;
      if (m.rows != h || m.cols != w || m.channels() != c)
        throw DataError(cat("sample ", samples[static_cast<size_t>(i)].name, " is ", m.cols, "x", m.rows, "x",
                            m.channels(), " but the batch's first is ", w, "x", h, "x", c, "; end ",
                            options_.transforms_key,
                            " with a fixed size (resize=HxW, center_crop, random_resized_crop)"));
    }
    const bool cuda = options_.device.is_cuda();
    if (cuda) {
      pending.pixels = torch::empty({n, c, h, w}, torch::TensorOptions(torch::kUInt8).pinned_memory(true));
      auto* dst = pending.pixels.data_ptr<uint8_t>();
      const size_t plane = static_cast<size_t>(h) * w;
      for (int64_t i = 0; i < n; ++i) {
        const cv::Mat& m = samples[static_cast<size_t>(i)].image;
        uint8_t* sample_dst = dst + static_cast<size_t>(i) * c * plane;
        for (int y = 0; y < h; ++y) {
          const uint8_t* row = m.ptr<uint8_t>(y);
          for (int ch = 0; ch < c; ++ch) {
            uint8_t* d = sample_dst + ch * plane + static_cast<size_t>(y) * w;
            for (int x = 0; x < w; ++x) d[x] = row[x * c + ch];
          }
        }
      }
    } else {
      pending.images = torch::empty({n, c, h, w}, torch::kFloat32);
      float* dst = pending.images.data_ptr<float>();
      for (int64_t i = 0; i < n; ++i)
        normalise_into(samples[static_cast<size_t>(i)].image, dst + static_cast<size_t>(i) * c * h * w);
    }
    if (source_->multi_label()) {
      const auto classes = static_cast<int64_t>(source_->classes().size());
      pending.labels = torch::empty({n, classes}, torch::TensorOptions(torch::kInt64).pinned_memory(cuda));
      auto acc = pending.labels.accessor<int64_t, 2>();
      for (int64_t i = 0; i < n; ++i) {
        const auto row = source_->labels(samples[static_cast<size_t>(i)].index);
        for (int64_t k = 0; k < classes; ++k) acc[i][k] = row[static_cast<size_t>(k)];
      }
    } else {
      pending.labels = torch::empty({n}, torch::TensorOptions(torch::kInt64).pinned_memory(cuda));
      auto* y = pending.labels.data_ptr<int64_t>();
      for (int64_t i = 0; i < n; ++i) y[i] = source_->label(samples[static_cast<size_t>(i)].index);
    }
    for (auto& s : samples) {
      pending.names.push_back(std::move(s.name));
      pending.erase.push_back(std::move(s.erase));
    }
    Rng batch_rng(Rng::key(
        {options_.sampler.seed, static_cast<uint64_t>(epoch), static_cast<uint64_t>(batch), 0x313ULL}));
    pending.mix = plan_mix(options_.mixup, h, w, batch_rng);
    if (!cuda) {
      apply_erase(pending.images, pending.erase);
      apply_mix(pending.images, pending.mix);
      if (options_.mixup.enabled())
        pending.targets = mix_targets(pending.labels, options_.mixup, pending.mix);
      pending.erase.clear();
      pending.finished = true;
    }
  } catch (...) {
    pending.error = std::current_exception();
  }
  return pending;
}

Batch Loader::finish(Pending& pending) const {
  if (pending.finished) return Batch{pending.images, pending.labels, pending.targets, pending.names};
  // CUDA: normalise on the device, (x - 255 mean) / (255 std), then erase and mix there.
  Batch batch;
  batch.images = pending.pixels.to(options_.device, /*non_blocking=*/true)
                     .to(torch::kFloat32)
                     .sub_(device_mean_)
                     .div_(device_std_);
  batch.labels = pending.labels.to(options_.device, /*non_blocking=*/true);
  apply_erase(batch.images, pending.erase);
  apply_mix(batch.images, pending.mix);
  if (options_.mixup.enabled()) batch.targets = mix_targets(batch.labels, options_.mixup, pending.mix);
  batch.names = pending.names;
  return batch;
}

std::unique_ptr<Loader> make_loader(const RunConfig& config, const std::string& split, bool train, int rank,
                                    int world_size, const std::vector<std::string>& model_classes) {
  const DataSection& data = config.data;
  SourcePtr source =
      make_source_for_classes(data, split, model_classes, train ? data.limit_train : data.limit_eval);
  if (source->size() == 0)
    throw DataError(cat("split '", split, "' of ", data.root, " has no readable samples"));
  return make_loader(config, std::move(source), train, rank, world_size);
}

std::unique_ptr<Loader> make_loader(const RunConfig& config, SourcePtr source, bool train, int rank,
                                    int world_size) {
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
  o.decode.channels = data.channels > 0 ? data.channels : source->native_channels();
  o.decode.minmax_16bit = data.scale_16bit == "minmax";
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
  return std::make_unique<Loader>(std::move(source), std::move(o));
}

}  // namespace softvit
