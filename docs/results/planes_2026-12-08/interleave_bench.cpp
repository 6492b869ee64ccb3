// The uint8 batch layout of the CUDA loader (src/data/planes.h): the per-byte loop it replaced against
// cv::split into headers over the destination, on 128 random 224 x 224 x 3 images, same call. Output:
// interleave_bench.txt beside it.
#include <opencv2/core.hpp>
#include <chrono>
#include <cstdio>
#include <vector>
int main() {
  const int h = 224, w = 224, c = 3, n = 128;
  std::vector<cv::Mat> imgs;
  cv::RNG rng(1);
  for (int i = 0; i < n; ++i) { cv::Mat m(h, w, CV_8UC3); rng.fill(m, cv::RNG::UNIFORM, 0, 255); imgs.push_back(m); }
  std::vector<uint8_t> out(size_t(n) * c * h * w), out2(out.size());
  const size_t plane = size_t(h) * w;
  for (int rep = 0; rep < 3; ++rep) {
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) {
      const cv::Mat& m = imgs[i];
      uint8_t* sample_dst = out.data() + size_t(i) * c * plane;
      for (int y = 0; y < h; ++y) {
        const uint8_t* row = m.ptr<uint8_t>(y);
        for (int ch = 0; ch < c; ++ch) {
          uint8_t* d = sample_dst + ch * plane + size_t(y) * w;
          for (int x = 0; x < w; ++x) d[x] = row[x * c + ch];
        }
      }
    }
    auto t1 = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) {
      uint8_t* sample_dst = out2.data() + size_t(i) * c * plane;
      std::vector<cv::Mat> planes;
      for (int ch = 0; ch < c; ++ch) planes.emplace_back(h, w, CV_8UC1, sample_dst + ch * plane);
      cv::split(imgs[i], planes);
    }
    auto t2 = std::chrono::steady_clock::now();
    printf("loop %.3f ms/img, split %.3f ms/img, equal %d\n",
      std::chrono::duration<double, std::milli>(t1 - t0).count() / n,
      std::chrono::duration<double, std::milli>(t2 - t1).count() / n, out == out2);
  }
}
