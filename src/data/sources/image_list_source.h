// Images without labels, for softvit predict: the files of a folder (every image file below it,
// in sorted order), the path column of a CSV manifest (paths relative to the manifest's folder),
// or files named one by one. label() is -1: there is no label.
#pragma once
#include "data/sources/source.h"

namespace softvit {

class ImageListSource : public Source {
 public:
  ImageListSource(std::vector<std::string> files, std::vector<std::string> classes, int channels);

  int64_t size() const override { return static_cast<int64_t>(files_.size()); }
  const std::vector<std::string>& classes() const override { return classes_; }
  int64_t label(int64_t) const override { return -1; }
  int native_channels() const override { return channels_; }
  RawImage load(int64_t i) const override { return load_file(files_[static_cast<size_t>(i)]); }

 private:
  std::vector<std::string> files_;
  std::vector<std::string> classes_;
  int channels_;
};

// The image files `inputs` name: one folder (searched recursively), one .csv manifest (its
// `path_column`), or image files. Throws DataError naming the folder, manifest or column when
// they cannot be read or hold no image.
std::vector<std::string> list_input_images(const std::vector<std::string>& inputs,
                                           const std::string& path_column);

}  // namespace softvit
