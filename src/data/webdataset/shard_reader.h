// The samples of one WebDataset shard, in the order they are stored. Members whose paths share a
// key form a sample, as webdataset groups them: the key is the path up to the first dot of the
// file name and the rest is the extension, lower-cased ("a/b.seg.png": key "a/b", extension
// "seg.png"); members of a sample are consecutive. A sample needs an image (extension jpg, jpeg,
// png or webp, or another format OpenCV reads: bmp, tif, tiff, pgm, ppm, pbm; the first if there
// are several) and a label: the integer in its .cls member, or a field of its .json member
// (an integer, or a class name). Other members are passed over without reading them.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/webdataset/tar_reader.h"

namespace softvit {

struct LabelRule {
  std::string json_field;                // empty: the .cls member
  std::vector<std::string> class_names;  // to read class names in .json; empty: indices only
  int64_t classes = 0;                   // labels must be below this; 0: any label >= 0
};

struct ShardSample {
  std::string key;
  std::vector<uint8_t> image;  // encoded bytes (left empty when reading without images)
  std::string image_extension;
  int64_t label = -1;
  std::string problem;  // non-empty: the sample cannot be used, and why
};

class ShardReader {
 public:
  // with_images false: only headers and label members are read (the listing pass).
  ShardReader(const std::string& path, const LabelRule& rule, bool with_images);

  // The next sample; false at the end. Throws DataError naming the shard when the archive is
  // corrupt or truncated.
  bool next(ShardSample& sample);

 private:
  void add(ShardSample& sample, const std::string& extension);

  TarReader tar_;
  LabelRule rule_;
  bool with_images_;
  bool pending_ = false;  // a member's header has been read and belongs to the next sample
  std::string pending_key_, pending_extension_;
  bool has_label_member_ = false;
};

// Splits a member path into key and extension (webdataset's rule); false for names without an
// extension or hidden files, which are not part of any sample.
bool split_member_name(const std::string& path, std::string& key, std::string& extension);

// True for the extensions an image member may have.
bool is_image_extension(const std::string& extension);

}  // namespace softvit
