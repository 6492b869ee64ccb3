// Helpers for the data tests: images written with OpenCV, small configs (and test_data.h).
#pragma once
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "catch.h"
#include "core/config/data_section.h"
#include "test_data.h"
#include "test_util.h"

namespace softvit::testing {

// A colour test image whose pixel values encode position: R = 10 x, G = 10 y, B = 200.
inline cv::Mat gradient_rgb(int width, int height) {
  cv::Mat m(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      m.at<cv::Vec3b>(y, x) =
          cv::Vec3b(cv::saturate_cast<uint8_t>(10 * x), cv::saturate_cast<uint8_t>(10 * y), 200);
  return m;
}

// Encodes an RGB image (OpenCV writes BGR, so it is swapped first) with `ext` (".png", ...).
inline std::vector<uint8_t> encode_rgb(const cv::Mat& rgb, const std::string& ext,
                                       std::vector<int> params = {}) {
  cv::Mat bgr;  // a new buffer: converting into a header of `rgb` would change the caller's image
  if (rgb.channels() == 3)
    cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  else
    bgr = rgb;
  std::vector<uint8_t> bytes;
  REQUIRE(cv::imencode(ext, bgr, bytes, params));
  return bytes;
}

inline void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// A JPEG with an APP1 EXIF segment holding only the orientation tag, inserted after SOI.
inline std::vector<uint8_t> with_exif_orientation(const std::vector<uint8_t>& jpeg, int orientation) {
  const std::vector<uint8_t> tiff = {'M',  'M',
                                     0,    42,
                                     0,    0,
                                     0,    8,  // big-endian header, IFD0 at 8
                                     0,    1,  // one entry
                                     0x01, 0x12,
                                     0,    3,
                                     0,    0,
                                     0,    1,  // orientation, SHORT, count 1
                                     0,    static_cast<uint8_t>(orientation),
                                     0,    0,
                                     0,    0,
                                     0,    0};  // no next IFD
  const size_t length = 2 + 6 + tiff.size();    // the length field counts itself
  std::vector<uint8_t> out = {0xFF,
                              0xD8,
                              0xFF,
                              0xE1,
                              static_cast<uint8_t>(length >> 8),
                              static_cast<uint8_t>(length & 0xFF),
                              'E',
                              'x',
                              'i',
                              'f',
                              0,
                              0};
  for (uint8_t b : tiff) out.push_back(b);
  for (size_t i = 2; i < jpeg.size(); ++i) out.push_back(jpeg[i]);
  return out;
}

// A small data section for a folder dataset at `root`.
inline DataSection folder_data(const std::string& root) {
  DataSection d;
  d.source = "folder";
  d.root = root;
  d.mean = {0.5};
  d.std = {0.25};
  return d;
}

}  // namespace softvit::testing
