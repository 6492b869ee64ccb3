// The CUDA loader's uint8 layout change (planes.h) against the plain loop it replaced: 1, 3 and 4
// channels, whole images and ROIs (rows not contiguous).
#include "catch.h"
#include "data/planes.h"

using namespace softvit;

namespace {

std::vector<uint8_t> by_loop(const cv::Mat& m) {
  const int c = m.channels(), h = m.rows, w = m.cols;
  std::vector<uint8_t> out(static_cast<size_t>(c) * h * w);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int ch = 0; ch < c; ++ch)
        out[(static_cast<size_t>(ch) * h + y) * w + x] = m.ptr<uint8_t>(y)[x * c + ch];
  return out;
}

}  // namespace

TEST_CASE("interleaved uint8 pixels to planes: the plain loop's bytes", "[data]") {
  cv::RNG rng(3);
  for (const int channels : {1, 3, 4}) {
    cv::Mat whole(37, 53, CV_8UC(channels));
    rng.fill(whole, cv::RNG::UNIFORM, 0, 256);
    for (const cv::Mat& m : {whole, whole(cv::Rect(5, 3, 31, 20))}) {
      INFO(channels << " channels, " << m.cols << " x " << m.rows << (m.isContinuous() ? "" : ", a ROI"));
      std::vector<uint8_t> out(m.total() * channels, 0);
      interleaved_to_planes(m, out.data());
      CHECK(out == by_loop(m));
    }
  }
  CHECK_THROWS(interleaved_to_planes(cv::Mat(4, 4, CV_32FC3), nullptr));
}
