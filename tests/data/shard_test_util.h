// Small WebDataset shards written by the tests themselves (libarchive's writer through TarWriter).
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "core/strings.h"
#include "data/webdataset/tar_writer.h"
#include "data_test_util.h"

namespace softvit::testing {

using Members = std::vector<std::pair<std::string, std::vector<uint8_t>>>;

inline std::vector<uint8_t> text_bytes(const std::string& text) { return {text.begin(), text.end()}; }

// An 8 x 8 PNG whose every pixel is `value` (so a decoded image says which sample it was).
inline std::vector<uint8_t> png_of(int value) {
  return encode_rgb(cv::Mat(8, 8, CV_8UC3, cv::Scalar::all(value % 256)), ".png");
}

inline void write_shard(const std::string& path, const Members& members, bool gzip = false) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  TarWriter writer(path, gzip);
  for (const auto& [name, bytes] : members) writer.add(name, bytes);
  writer.close();
}

// Samples first..first+count-1 as KEY.png + KEY.cls: key "s<i>", pixel value i, label i % classes.
inline Members samples(int first, int count, int classes) {
  Members m;
  for (int i = first; i < first + count; ++i) {
    const std::string key = cat("s", i);
    m.push_back({key + ".png", png_of(i)});
    m.push_back({key + ".cls", text_bytes(std::to_string(i % classes))});
  }
  return m;
}

// `shards` shards of `per_shard` samples each in root/NAME-{split}-00000k.tar, sample i of the
// split in shard i / per_shard.
inline void write_split(const std::string& root, const std::string& split, int shards, int per_shard,
                        int classes, bool gzip = false) {
  for (int s = 0; s < shards; ++s)
    write_shard(cat(root, "/set-", split, "-00000", s, gzip ? ".tar.gz" : ".tar"),
                samples(s * per_shard, per_shard, classes), gzip);
}

// A data section that reads root/set-{split}-*.tar with the given classes.
inline DataSection shard_data(const std::string& root, const std::string& suffix = ".tar") {
  DataSection d;
  d.source = "webdataset";
  d.root = root;
  d.shards = {"set-{split}-*" + suffix};
  d.mean = {0.0};
  d.std = {1.0};
  d.workers = 2;
  return d;
}

}  // namespace softvit::testing
