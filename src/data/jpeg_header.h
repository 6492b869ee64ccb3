// The markers of a JPEG up to its frame header: size, components and the EXIF orientation (the
// APP1 walker). Byte-level only, without libjpeg or OpenCV, so that it can be fuzzed on its own
// (tests/fuzz); decoding is in jpeg_region.h.
#pragma once
#include <cstdint>
#include <optional>
#include <vector>

namespace softvit {

struct JpegHeader {
  int width = 0, height = 0;
  int components = 0;   // 1 gray, 3 YCbCr, 4 CMYK
  int orientation = 1;  // EXIF orientation, 1 when absent
};

// Reads the markers up to the frame header; nullopt when the bytes are not a JPEG.
std::optional<JpegHeader> read_jpeg_header(const std::vector<uint8_t>& bytes);

}  // namespace softvit
