#include "data/webdataset/shard_index.h"

#include <atomic>
#include <chrono>
#include <exception>
#include <filesystem>
#include <mutex>
#include <thread>

#include "core/error.h"
#include "core/strings.h"
#include "log/log.h"

namespace softvit {
namespace {

struct Listed {
  std::vector<int64_t> labels;  // of the usable samples, in order
  std::vector<DataProblem> problems;
  std::exception_ptr error;
};

void list_one(const ShardInfo& shard, const ListingOptions& options, Listed& out) {
  try {
    ShardReader reader(shard.path, options.rule, /*with_images=*/false);
    ShardSample sample;
    while (reader.next(sample)) {
      if (sample.problem.empty())
        out.labels.push_back(sample.label);
      else
        report_problem(options.skip_bad, out.problems, sample_name(shard, sample.key), sample.problem);
    }
  } catch (const DataError& e) {
    if (!options.skip_bad) {
      out.error = std::current_exception();
      return;
    }
    std::string why = e.what();  // "path: what": the path is the problem's file already
    if (why.rfind(shard.path + ": ", 0) == 0) why = why.substr(shard.path.size() + 2);
    out.problems.push_back({shard.path, why + "; the rest of the shard is skipped"});
  } catch (...) {
    out.error = std::current_exception();
  }
}

}  // namespace

std::string sample_name(const ShardInfo& shard, const std::string& key) { return shard.name + ":" + key; }

ShardIndex list_shards(const std::vector<std::string>& paths, const ListingOptions& options) {
  const size_t n = paths.size();
  std::vector<ShardInfo> shards(n);
  for (size_t i = 0; i < n; ++i)
    shards[i] = {paths[i], std::filesystem::path(paths[i]).filename().string(), 0};
  std::vector<Listed> listed(n);
  std::atomic<size_t> next{0}, done{0};
  std::atomic<int64_t> samples{0};
  std::mutex log_mutex;
  const auto start = std::chrono::steady_clock::now();
  auto last_log = start;
  auto work = [&] {
    for (size_t i; (i = next++) < n;) {
      list_one(shards[i], options, listed[i]);
      samples += static_cast<int64_t>(listed[i].labels.size());
      const size_t finished = ++done;
      std::lock_guard<std::mutex> lock(log_mutex);
      const auto now = std::chrono::steady_clock::now();
      if (now - last_log > std::chrono::seconds(10) && finished < n) {  // long listings show progress
        last_log = now;
        log::info(cat("webdataset: listed ", finished, " of ", n, " shards (", samples.load(), " samples, ",
                      duration(std::chrono::duration<double>(now - start).count()), ")"));
      }
    }
  };
  const int cores =
      options.threads > 0 ? options.threads : static_cast<int>(std::thread::hardware_concurrency());
  const size_t threads = std::min<size_t>(n, static_cast<size_t>(std::max(1, cores)));
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();

  ShardIndex index;
  int64_t remaining = options.limit > 0 ? options.limit : INT64_MAX;
  std::vector<int64_t> counts(static_cast<size_t>(std::max<int64_t>(options.rule.classes, 0)), 0);
  for (size_t i = 0; i < n; ++i) {
    if (listed[i].error) std::rethrow_exception(listed[i].error);  // the first bad shard in order
    index.problems.insert(index.problems.end(), listed[i].problems.begin(), listed[i].problems.end());
    ShardInfo shard = shards[i];
    shard.samples = std::min<int64_t>(remaining, static_cast<int64_t>(listed[i].labels.size()));
    remaining -= shard.samples;
    for (int64_t k = 0; k < shard.samples; ++k) {
      const int64_t label = listed[i].labels[static_cast<size_t>(k)];
      if (label >= static_cast<int64_t>(counts.size())) counts.resize(static_cast<size_t>(label + 1), 0);
      ++counts[static_cast<size_t>(label)];
    }
    if (shard.samples > 0) {
      index.total += shard.samples;
      index.shards.push_back(std::move(shard));
    } else if (listed[i].labels.empty() && listed[i].problems.empty()) {
      log::warn(cat("webdataset: shard ", shard.path, " holds no samples"));
    }
  }
  index.class_counts = std::move(counts);
  return index;
}

}  // namespace softvit
