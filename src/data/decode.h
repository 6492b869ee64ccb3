// Encoded image bytes to uint8 pixels through OpenCV: JPEG, PNG (8 and 16 bit), BMP, TIFF, gray
// or colour; DICOM through data/dicom (windowed to 8 bits as options.dicom says). EXIF orientation
// is applied for every output (OpenCV applies it unless the flags are IMREAD_UNCHANGED, which is
// never used here; in OpenCV 4.6 only JPEG carries the tag through).
#pragma once
#include <opencv2/core.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "data/sources/source.h"

namespace softvit {

// Decodes to H x W x options.channels uint8 (RGB order). 16-bit images are scaled to 8 bits by
// x/257 (65535 -> 255) or, with minmax_16bit, stretched from their own min..max. Throws DataError
// naming `name` when the bytes are not an image or are truncated.
cv::Mat decode_image(const std::vector<uint8_t>& bytes, const std::string& name,
                     const DecodeOptions& options);

// Pixels already in memory (1 or 3 channels, RGB) to options.channels; no copy when they match.
cv::Mat convert_pixels(const cv::Mat& pixels, const DecodeOptions& options);

// True when the bytes start like a JPEG and hold no end-of-image marker after the last scan:
// libjpeg only warns about such files and fills the rest with gray.
bool jpeg_is_truncated(const std::vector<uint8_t>& bytes);

}  // namespace softvit
