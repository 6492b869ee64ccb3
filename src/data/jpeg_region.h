// Decoding only part of a JPEG with libjpeg-turbo (jpeg_crop_scanline / jpeg_skip_scanlines):
// a random crop that keeps half of the image costs about half the decode. Used by the pipeline
// when data.roi_decode is on and the first transform is a crop (see transforms/pipeline.h).
#pragma once
#include <opencv2/core.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "data/jpeg_header.h"

namespace softvit {

// Decodes the pixels inside `box` (stored orientation) to `channels` (1 gray, 3 RGB) uint8.
// With `at_least` (the size the caller resizes the region to next), libjpeg scales in the DCT
// domain by 1/2, 1/4 or 1/8 where the region stays at least that large: a crop of a large image
// that will be shrunk anyway costs a fraction of the full decode. The result then covers `box`
// scaled by M/8 (edges rounded outwards), not box.size().
// Throws DataError naming `name` when the data is corrupt or truncated.
cv::Mat decode_jpeg_region(const std::vector<uint8_t>& bytes, const std::string& name, cv::Rect box,
                           int channels, cv::Size at_least = {});

// The M of that M/8 scale: the smallest of 1, 2, 4 with box * M / 8 >= at_least on both sides, else 8.
int jpeg_scale_eighths(cv::Size box, cv::Size at_least);

}  // namespace softvit
