// JPEG decoding on the GPU (data/gpu_decode): on a CUDA device with nvJPEG, the same pixels as the
// CPU decoder within the decoders' rounding, for baseline colour at two qualities, grey, progressive and
// EXIF-rotated JPEGs, and a clear error for a corrupt one; everywhere else, `check decode` and the
// decoder refuse with a message saying why.
#include <torch/cuda.h>
#include <opencv2/imgproc.hpp>

#include "catch.h"
#include "core/error.h"
#include "core/strings.h"
#include "data/data_test_util.h"
#include "data/decode.h"
#include "data/gpu_decode/nvjpeg_decoder.h"
#include "test_util.h"

using namespace softvit;
using namespace softvit::testing;

namespace {

// A photograph-like image: smooth gradients, an edge and some noise.
cv::Mat scene(int width, int height) {
  cv::Mat m(height, width, CV_8UC3);
  cv::RNG rng(7);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      m.at<cv::Vec3b>(y, x) =
          cv::Vec3b(cv::saturate_cast<uint8_t>(x * 255 / width + rng.uniform(-8, 8)),
                    cv::saturate_cast<uint8_t>(y * 255 / height), x > width / 2 ? 220 : 40);
  return m;
}

bool gpu_decode_runnable() {
  if (nvjpeg_compiled() && torch::cuda::is_available()) return true;
  WARN("softvit test skipped: no nvJPEG in this build or no CUDA device");
  return false;
}

}  // namespace

TEST_CASE("nvJPEG decoder: the CPU decoder's pixels within rounding", "[data][gpu]") {
  if (!gpu_decode_runnable()) return;
  const cv::Mat rgb = scene(203, 150);  // odd width: chroma planes of odd size
  cv::Mat grey;
  cv::cvtColor(rgb, grey, cv::COLOR_RGB2GRAY);
  struct Case {
    std::string name;
    std::vector<uint8_t> bytes;
  };
  std::vector<Case> cases = {
      {"baseline 4:2:0 q90", encode_rgb(rgb, ".jpg", {cv::IMWRITE_JPEG_QUALITY, 90})},
      {"baseline 4:2:0 q60", encode_rgb(rgb, ".jpg", {cv::IMWRITE_JPEG_QUALITY, 60})},
      {"grey", encode_rgb(grey, ".jpg")},
      {"progressive", encode_rgb(rgb, ".jpg", {cv::IMWRITE_JPEG_PROGRESSIVE, 1})},
  };
  for (int orientation : {3, 6, 8})
    cases.push_back(
        {cat("EXIF orientation ", orientation), with_exif_orientation(cases[0].bytes, orientation)});
  std::vector<EncodedJpeg> batch;
  for (const auto& c : cases) batch.push_back({&c.bytes, c.name});
  NvjpegDecoder decoder;
  const auto gpu = decoder.decode(batch);
  REQUIRE(gpu.size() == cases.size());
  DecodeOptions options;
  options.channels = 3;
  for (size_t i = 0; i < cases.size(); ++i) {
    CAPTURE(cases[i].name, decoder.backends());
    const cv::Mat cpu = decode_image(cases[i].bytes, cases[i].name, options);
    const auto g = gpu[i].cpu();
    REQUIRE(g.size(0) == cpu.rows);
    REQUIRE(g.size(1) == cpu.cols);
    const auto ref = torch::from_blob(cpu.data, {cpu.rows, cpu.cols, 3}, torch::kUInt8).to(torch::kFloat64);
    const auto diff = (g.to(torch::kFloat64) - ref).abs();
    CHECK(diff.mean().item<double>() < 1.5);
    CHECK(diff.max().item<double>() <= 40);  // IDCT and chroma upsampling differ at sharp edges
  }
  // A decoder that does not apply the orientation would give the stored 203 x 150 for 6 and 8.
  CHECK(gpu[5].size(0) == 203);
}

TEST_CASE("nvJPEG decoder: a corrupt JPEG is an error naming the file", "[data][gpu]") {
  if (!gpu_decode_runnable()) return;
  auto bytes = encode_rgb(scene(64, 48), ".jpg");
  bytes.resize(40);  // the header alone, cut
  NvjpegDecoder decoder;
  try {
    decoder.decode({{&bytes, "cut.jpg"}});
    FAIL("no error");
  } catch (const DataError& e) {
    CHECK(std::string(e.what()).find("cut.jpg") != std::string::npos);
  }
}

TEST_CASE("check decode: without nvJPEG or a CUDA device it says why", "[data][cli]") {
  if (nvjpeg_compiled() && torch::cuda::is_available()) return;  // the [gpu] cases above run instead
  TempDir dir;
  write_bytes(dir.path("jpegs/a.jpg"), encode_rgb(scene(32, 24), ".jpg"));
  const auto [status, text] = run_softvit("check decode " + dir.path("jpegs"));
  INFO(text);
  CHECK(status != 0);
  CHECK(text.find(nvjpeg_compiled() ? "JPEG decoding on the GPU: no CUDA device"
                                    : "this softvit was built without nvJPEG") != std::string::npos);
}
