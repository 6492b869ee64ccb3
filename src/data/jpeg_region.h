// Decoding only part of a JPEG with libjpeg-turbo (jpeg_crop_scanline / jpeg_skip_scanlines):
// a random crop that keeps half of the image costs about half the decode. Used by the pipeline
// when data.roi_decode is on and the first transform is a crop (see transforms/pipeline.h).
#pragma once
#include <opencv2/core.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace softvit {

struct JpegHeader {
  int width = 0, height = 0;
  int components = 0;   // 1 gray, 3 YCbCr, 4 CMYK
  int orientation = 1;  // EXIF orientation, 1 when absent
};

// Reads the markers up to the frame header; nullopt when the bytes are not a JPEG.
std::optional<JpegHeader> read_jpeg_header(const std::vector<uint8_t>& bytes);

// Decodes the pixels inside `box` (stored orientation) to `channels` (1 gray, 3 RGB) uint8.
// Throws DataError naming `name` when the data is corrupt or truncated.
cv::Mat decode_jpeg_region(const std::vector<uint8_t>& bytes, const std::string& name, cv::Rect box,
                           int channels);

}  // namespace softvit
