#include "data/shard_loader.h"

#include <opencv2/core/utility.hpp>

#include "core/config.h"
#include "core/error.h"
#include "core/strings.h"
#include "data/sources/source_registry.h"
#include "data/webdataset/shard_split.h"
#include "log/log.h"

namespace softvit {
namespace {

// Each shard, in order, to the part with the fewest samples so far (the first on ties).
std::vector<std::vector<ShardInfo>> deal(const std::vector<ShardInfo>& shards, size_t parts) {
  std::vector<std::vector<ShardInfo>> out(parts);
  std::vector<int64_t> load(parts, 0);
  for (const auto& shard : shards) {
    const size_t to = static_cast<size_t>(std::min_element(load.begin(), load.end()) - load.begin());
    out[to].push_back(shard);
    load[to] += shard.samples;
  }
  return out;
}

}  // namespace

struct ShardLoader::Built : PreparedBatch {
  std::exception_ptr error;
  std::vector<DataProblem> skipped;
  bool empty = false;  // evaluation: every sample of the batch was left out
};

ShardLoader::ShardLoader(ShardIndex index, std::vector<std::string> classes, LabelRule rule,
                         ShardLoaderConfig options)
    : index_(std::move(index)),
      classes_(std::move(classes)),
      rule_(std::move(rule)),
      options_(std::move(options)),
      skips_(options_.train ? "replaced by another of its batch" : "left out of the evaluation") {
  const auto& o = options_.loader;
  if (o.batch_size < 1) throw ConfigError("batch size must be at least 1");
  if (options_.streams < 1) throw ConfigError("data.shard_streams must be at least 1");
  if (o.sampler.world_size < 1 || o.sampler.rank < 0 || o.sampler.rank >= o.sampler.world_size)
    throw ConfigError(cat("rank ", o.sampler.rank, " is not within world size ", o.sampler.world_size));
  if (static_cast<int64_t>(index_.shards.size()) < o.sampler.world_size)
    throw DataError(cat("webdataset: ", index_.shards.size(), " shards with samples for ",
                        o.sampler.world_size,
                        " processes: each process reads whole shards, so there must be at least one per "
                        "process (write smaller shards: softvit data pack --samples-per-shard N)"));
  options_.loader.mixup.classes = static_cast<int64_t>(classes_.size());
  builder_ = BatchBuilder(options_.loader);
  for (const auto& p : index_.problems) log::warn(cat("data: skipped ", p.file, ": ", p.reason));
  cv::setNumThreads(1);  // the workers parallelise over batches
  int workers = o.workers > 0 ? o.workers : static_cast<int>(std::thread::hardware_concurrency());
  workers = std::max(1, workers);
  if (options_.loader.prefetch <= 0) options_.loader.prefetch = 2 * workers;
  for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { work(); });
}

ShardLoader::~ShardLoader() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  work_ready_.notify_all();
  for (auto& t : threads_) t.join();
}

ShardLoader::Plan ShardLoader::plan(int64_t epoch) const {
  const auto& o = options_.loader;
  const auto world = static_cast<size_t>(o.sampler.world_size), rank = static_cast<size_t>(o.sampler.rank);
  const int64_t b = o.batch_size;
  std::vector<ShardInfo> order = index_.shards;
  if (options_.train) {
    Rng rng(Rng::key({o.sampler.seed, static_cast<uint64_t>(epoch), 0x5a4dULL}));
    seeded_shuffle(order, rng);
  }
  const auto mine = deal(order, world)[rank];
  Plan p;
  p.streams = deal(mine, std::min<size_t>(static_cast<size_t>(options_.streams), mine.size()));
  const size_t s = p.streams.size();
  p.batches_of.resize(s);
  if (options_.train) {  // the same number of full batches on every rank
    const int64_t steps = index_.total / (static_cast<int64_t>(world) * b);
    for (int64_t k = 0; k < steps; ++k) {
      p.batches_of[static_cast<size_t>(k) % s].push_back(k);
      p.sizes.push_back(b);
    }
    return p;
  }
  std::vector<int64_t> left(s, 0);  // evaluation: every sample once, the streams' batches in turn
  for (size_t i = 0; i < s; ++i)
    for (const auto& shard : p.streams[i]) left[i] += shard.samples;
  for (bool more = true; more;) {
    more = false;
    for (size_t i = 0; i < s; ++i) {
      if (left[i] == 0) continue;
      p.batches_of[i].push_back(static_cast<int64_t>(p.sizes.size()));
      p.sizes.push_back(std::min(b, left[i]));
      left[i] -= p.sizes.back();
      more = true;
    }
  }
  return p;
}

int64_t ShardLoader::batches_per_epoch() const {
  if (options_.train)
    return index_.total / (int64_t{options_.loader.sampler.world_size} * options_.loader.batch_size);
  return static_cast<int64_t>(plan(0).sizes.size());
}

void ShardLoader::start_epoch(int64_t epoch) {
  {
    // Already started for this epoch and nothing taken yet: keep the batches built ahead.
    std::lock_guard<std::mutex> lock(mutex_);
    if (started_ && epoch == epoch_ && next_to_return_ == 0) return;
  }
  Plan p = plan(epoch);
  std::vector<std::shared_ptr<ShardStream>> streams;
  const auto& o = options_.loader;
  for (size_t s = 0; s < p.streams.size(); ++s) {
    StreamOptions so;
    so.skip_bad = o.skip_bad;
    so.repeat = options_.train;
    so.buffer = options_.train ? options_.shuffle_buffer : 1;
    so.seed = Rng::key({o.sampler.seed, static_cast<uint64_t>(epoch), static_cast<uint64_t>(o.sampler.rank),
                        static_cast<uint64_t>(s), 0x57e4ULL});
    streams.push_back(std::make_shared<ShardStream>(p.streams[s], rule_, so));
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++generation_;
    started_ = true;
    epoch_ = epoch;
    plan_ = std::move(p);
    streams_ = std::move(streams);
    cursor_.assign(streams_.size(), 0);
    reading_.assign(streams_.size(), false);
    stream_error_.assign(streams_.size(), nullptr);
    read_.clear();
    ready_.clear();
    next_to_return_ = 0;
  }
  skips_.start_epoch();
  work_ready_.notify_all();
}

void ShardLoader::skip(int64_t batches) {
  if (!started_) start_epoch(0);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    next_to_return_ = std::min<int64_t>(next_to_return_ + batches, static_cast<int64_t>(plan_.sizes.size()));
    // Read (the streams must pass over them) but never decoded.
    read_.erase(read_.begin(), read_.lower_bound(next_to_return_));
    ready_.erase(ready_.begin(), ready_.lower_bound(next_to_return_));
  }
  work_ready_.notify_all();
}

std::vector<DataProblem> ShardLoader::skipped() const {
  std::vector<DataProblem> all = index_.problems;
  const auto skipped = skips_.distinct();
  all.insert(all.end(), skipped.begin(), skipped.end());
  return all;
}

int ShardLoader::readable_stream() const {
  int best = -1;
  const int64_t horizon = next_to_return_ + options_.loader.prefetch;
  for (size_t s = 0; s < streams_.size(); ++s) {
    if (reading_[s] || cursor_[s] >= plan_.batches_of[s].size()) continue;
    const int64_t k = plan_.batches_of[s][cursor_[s]];
    if (k < horizon && (best < 0 || k < plan_.batches_of[best][cursor_[best]])) best = static_cast<int>(s);
  }
  return best;
}

void ShardLoader::work() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    work_ready_.wait(lock, [this] { return stopping_ || !read_.empty() || readable_stream() >= 0; });
    if (stopping_) return;
    const uint64_t generation = generation_;
    const int64_t epoch = epoch_;
    if (!read_.empty()) {  // decoding first: it frees memory and is what next() waits for
      const int64_t batch = read_.begin()->first;
      std::vector<StreamSample> samples = std::move(read_.begin()->second);
      read_.erase(read_.begin());
      lock.unlock();
      auto built = std::make_shared<Built>(build(epoch, batch, std::move(samples)));
      lock.lock();
      if (generation == generation_ && batch >= next_to_return_) {
        ready_[batch] = std::move(built);
        batch_ready_.notify_all();
      }
      continue;
    }
    const auto s = static_cast<size_t>(readable_stream());
    const int64_t batch = plan_.batches_of[s][cursor_[s]++];
    const auto wanted = static_cast<size_t>(plan_.sizes[static_cast<size_t>(batch)]);
    std::shared_ptr<ShardStream> stream = streams_[s];
    std::exception_ptr error = stream_error_[s];
    reading_[s] = true;
    lock.unlock();
    std::vector<StreamSample> samples;
    try {
      while (!error && samples.size() < wanted) {
        auto sample = stream->next();
        if (!sample) break;  // evaluation: a shard changed since the listing
        samples.push_back(std::move(*sample));
      }
    } catch (...) {
      error = std::current_exception();
    }
    lock.lock();
    if (generation != generation_) continue;  // start_epoch came in between
    reading_[s] = false;
    if (error) {  // this batch and the stream's later ones report it
      stream_error_[s] = error;
      auto failed = std::make_shared<Built>();
      failed->error = error;
      if (batch >= next_to_return_) ready_[batch] = std::move(failed);
      batch_ready_.notify_all();
    } else if (batch >= next_to_return_) {  // batches before it were skipped: read only
      read_[batch] = std::move(samples);
    }
    work_ready_.notify_all();
  }
}

ShardLoader::Built ShardLoader::build(int64_t epoch, int64_t batch, std::vector<StreamSample> samples) const {
  Built built;
  try {
    const auto& o = options_.loader;
    const size_t n = samples.size();
    std::vector<RawImage> raws(n);
    for (size_t i = 0; i < n; ++i) {
      raws[i].encoded = std::move(samples[i].image);
      raws[i].name = samples[i].name;
    }
    std::vector<SampleImage> images;
    std::vector<EraseBox> erase;
    std::vector<int64_t> labels;
    for (size_t i = 0; i < n; ++i) {
      for (size_t attempt = 0;; ++attempt) {
        // Training replaces an unreadable image by the batch's next sample; evaluation leaves it out.
        const size_t use = (i + attempt) % n;
        if (attempt == n)
          throw DataError(
              cat("all ", n, " images of batch ", batch + 1, " are unreadable, e.g. ", raws[i].name));
        Rng rng(Rng::key({o.sampler.seed, static_cast<uint64_t>(epoch), static_cast<uint64_t>(o.sampler.rank),
                          static_cast<uint64_t>(batch), static_cast<uint64_t>(i),
                          static_cast<uint64_t>(attempt)}));
        EraseBox box;
        try {
          images.push_back(builder_.transform(raws[use], rng, box));
        } catch (const DataError& e) {
          if (!o.skip_bad) throw DataError(cat(e.what(), " (data.on_error: skip would skip it)"));
          built.skipped.push_back({raws[use].name, e.what()});
          if (options_.train) continue;
          break;
        }
        erase.push_back(std::move(box));
        labels.push_back(samples[use].label);
        built.names.push_back(raws[use].name);
        break;
      }
    }
    if (images.empty()) {
      built.empty = true;
      return built;
    }
    Rng mix_rng(Rng::key({o.sampler.seed, static_cast<uint64_t>(epoch), static_cast<uint64_t>(o.sampler.rank),
                          static_cast<uint64_t>(batch), 0x313ULL}));
    builder_.assemble(built, std::move(images), std::move(erase), torch::tensor(labels, torch::kInt64),
                      mix_rng, [&](size_t i) { return built.names[i]; });
  } catch (...) {
    built.error = std::current_exception();
  }
  return built;
}

std::optional<Batch> ShardLoader::next() {
  if (!started_) start_epoch(0);
  for (;;) {
    std::shared_ptr<Built> built;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      if (next_to_return_ >= static_cast<int64_t>(plan_.sizes.size())) {
        skips_.end_epoch(epoch_);
        return std::nullopt;
      }
      batch_ready_.wait(lock, [this] { return ready_.count(next_to_return_) > 0; });
      built = ready_[next_to_return_];
      ready_.erase(next_to_return_);
      ++next_to_return_;
    }
    work_ready_.notify_all();
    skips_.add(built->skipped);
    if (built->error) std::rethrow_exception(built->error);
    if (built->empty) continue;
    Batch batch = builder_.finish(*built);
    skips_.add(built->unreadable_on_device);
    return batch;
  }
}

std::unique_ptr<DataLoader> make_shard_loader(const RunConfig& config, const std::string& split, bool train,
                                              int rank, int world_size,
                                              const std::vector<std::string>& model_classes) {
  const DataSection& data = config.data;
  if (train && data.sampler != "random")
    throw ConfigError(cat("data.sampler '", data.sampler,
                          "' needs random access; data.source webdataset "
                          "streams its shards and shuffles them (data.sampler random)"));
  ShardSplit opened =
      open_shard_split(data, split, model_classes, train ? data.limit_train : data.limit_eval);
  ShardLoaderConfig o;
  o.loader = loader_config(config, train, rank, world_size, /*native_channels=*/3);
  o.train = train;
  o.streams = data.shard_streams;
  o.shuffle_buffer = data.shuffle_buffer;
  return std::make_unique<ShardLoader>(std::move(opened.index), std::move(opened.classes),
                                       std::move(opened.rule), std::move(o));
}

// WebDataset shards are streamed (make_shard_loader); every split name is looked for in data.shards.
SourceKind webdataset_source_kind() {
  SourceKind kind;
  kind.name = "webdataset";
  kind.has_split = [](const DataSection&, const std::string&) { return true; };
  kind.streamed = true;
  return kind;
}

}  // namespace softvit
