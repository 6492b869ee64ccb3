#include "data/webdataset/shard_scan.h"

#include <atomic>
#include <thread>

#include "core/error.h"
#include "data/decode.h"
#include "data/webdataset/shard_stream.h"

namespace softvit {

ImageScan scan_shard_images(const ShardSplit& split, const DecodeOptions& decode, int threads) {
  const auto& shards = split.index.shards;
  std::vector<ImageScan> per_shard(shards.size());
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next++) < shards.size();) {
      StreamOptions options;
      options.skip_bad = true;  // the listing has recorded broken samples and shards
      ShardStream stream({shards[i]}, split.rule, options);
      while (auto sample = stream.next()) {
        per_shard[i].dicom.add_if_dicom(sample->image, sample->name);
        try {
          const cv::Mat image = decode_image(sample->image, sample->name, decode);
          ++per_shard[i].sizes[{image.cols, image.rows}];
        } catch (const DataError& e) {
          per_shard[i].unreadable.push_back({sample->name, e.what()});
        }
      }
    }
  };
  const int cores = threads > 0 ? threads : static_cast<int>(std::thread::hardware_concurrency());
  std::vector<std::thread> pool;
  for (size_t t = 1; t < std::min<size_t>(shards.size(), static_cast<size_t>(std::max(1, cores))); ++t)
    pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  ImageScan all;
  for (const auto& scan : per_shard) {
    for (const auto& [size, count] : scan.sizes) all.sizes[size] += count;
    all.unreadable.insert(all.unreadable.end(), scan.unreadable.begin(), scan.unreadable.end());
    all.dicom.merge(scan.dicom);
  }
  return all;
}

}  // namespace softvit
