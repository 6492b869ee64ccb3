#include "data/planes.h"

#include <cstring>
#include <vector>

#include "core/error.h"

namespace softvit {

void interleaved_to_planes(const cv::Mat& image, uint8_t* dst) {
  if (image.depth() != CV_8U) throw Error("interleaved_to_planes: not a uint8 image");
  const int c = image.channels(), h = image.rows, w = image.cols;
  const size_t plane = static_cast<size_t>(h) * w;
  if (c == 1) {
    for (int y = 0; y < h; ++y) std::memcpy(dst + static_cast<size_t>(y) * w, image.ptr<uint8_t>(y), w);
    return;
  }
  // Headers over the destination: split writes into them when their size and type already match.
  std::vector<cv::Mat> planes;
  for (int ch = 0; ch < c; ++ch) planes.emplace_back(h, w, CV_8UC1, dst + ch * plane);
  cv::split(image, planes);
  for (int ch = 0; ch < c; ++ch)
    if (planes[static_cast<size_t>(ch)].data != dst + ch * plane)
      throw Error("interleaved_to_planes: cv::split wrote elsewhere");  // an OpenCV that reallocates
}

}  // namespace softvit
