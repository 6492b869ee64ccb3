#include "data/sources/array_source.h"

#include "core/error.h"
#include "core/strings.h"

namespace softvit {

ArraySource::ArraySource(ImageArray array, std::vector<std::string> classes, std::string origin,
                         bool skip_bad)
    : array_(std::move(array)), classes_(std::move(classes)), origin_(std::move(origin)) {
  const auto n_classes = static_cast<int64_t>(classes_.size());
  if (array_.label_width > 0 && array_.label_width != n_classes)
    throw DataError(
        cat(origin_, ": ", array_.label_width, " label columns but ", n_classes, " classes are named"));
  for (int64_t i = 0; i < array_.count; ++i) {
    if (array_.label_width == 0) {
      const int64_t y = array_.labels[static_cast<size_t>(i)];
      if (y < 0 || y >= n_classes) {
        report_problem(skip_bad, problems_, cat(origin_, "[", i, "]"),
                       cat("label ", y, " is out of range for ", n_classes, " classes"));
        continue;
      }
    } else {
      bool bad = false;
      for (int64_t l = 0; l < array_.label_width; ++l)
        bad |= array_.label_matrix[i * array_.label_width + l] > 1;
      if (bad) {
        report_problem(skip_bad, problems_, cat(origin_, "[", i, "]"), "multi-label values must be 0 or 1");
        continue;
      }
    }
    index_.push_back(i);
  }
}

int64_t ArraySource::label(int64_t i) const {
  return array_.label_width == 0 ? array_.labels[static_cast<size_t>(index_[i])] : -1;
}

std::vector<uint8_t> ArraySource::labels(int64_t i) const {
  if (array_.label_width == 0) return {};
  const auto* row = array_.label_matrix.data() + index_[i] * array_.label_width;
  return {row, row + array_.label_width};
}

RawImage ArraySource::load(int64_t i) const {
  const int64_t k = index_[i];
  const size_t stride = static_cast<size_t>(array_.height) * array_.width * array_.channels;
  RawImage raw;
  raw.pixels = cv::Mat(array_.height, array_.width, CV_8UC(array_.channels),
                       const_cast<uint8_t*>(array_.pixels.data() + stride * static_cast<size_t>(k)));
  raw.name = cat(origin_, "[", k, "]");
  return raw;
}

void truncate_array(ImageArray& array, int64_t limit) {
  if (limit <= 0 || limit >= array.count) return;
  array.count = limit;
  array.pixels.resize(static_cast<size_t>(limit) * array.height * array.width * array.channels);
  if (array.label_width == 0)
    array.labels.resize(static_cast<size_t>(limit));
  else
    array.label_matrix.resize(static_cast<size_t>(limit * array.label_width));
}

}  // namespace softvit
