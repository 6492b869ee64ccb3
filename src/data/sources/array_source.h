// Images held in memory as one uint8 array N x H x W x C (the MNIST family, MedMNIST): read()
// hands out views into the array, so there is no per-sample copy, encode or decode.
#pragma once
#include "data/sources/source.h"

namespace softvit {

struct ImageArray {
  std::vector<uint8_t> pixels;  // N x H x W x C, row-major
  int64_t count = 0;
  int height = 0, width = 0, channels = 1;
  std::vector<int64_t> labels;        // single-label: N class indices
  std::vector<uint8_t> label_matrix;  // multi-label: N x L 0/1 values
  int64_t label_width = 0;            // L; 0 for single-label
};

class ArraySource : public Source {
 public:
  // `origin` names the data in messages, e.g. "breastmnist.npz:train". Labels are checked
  // against the classes (out of range: DataError, or skipped under `skip`).
  ArraySource(ImageArray array, std::vector<std::string> classes, std::string origin, bool skip_bad);

  int64_t size() const override { return static_cast<int64_t>(index_.size()); }
  const std::vector<std::string>& classes() const override { return classes_; }
  bool multi_label() const override { return array_.label_width > 0; }
  int64_t label(int64_t i) const override;
  std::vector<uint8_t> labels(int64_t i) const override;
  int native_channels() const override { return array_.channels; }
  RawImage load(int64_t i) const override;

 private:
  ImageArray array_;
  std::vector<std::string> classes_;
  std::string origin_;
  std::vector<int64_t> index_;  // samples kept (all but those with bad labels under skip)
};

// Keeps the first `limit` samples (0: all), in place.
void truncate_array(ImageArray& array, int64_t limit);

}  // namespace softvit
