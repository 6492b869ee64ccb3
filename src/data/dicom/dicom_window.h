// From stored values to an 8-bit image: the modality transform (Rescale Slope/Intercept, so CT is
// in Hounsfield units), the VOI transform (a window or the file's VOI LUT; PS3.3 C.11.2), then
// MONOCHROME1's inversion. No library: plain arithmetic on a DicomImage.
#pragma once
#include <opencv2/core.hpp>

#include <string>
#include <vector>

#include "data/dicom/dicom_image.h"
#include "data/dicom/dicom_options.h"

namespace softvit {

// stored x slope + intercept, per value.
std::vector<double> rescaled_values(const DicomImage& image);

// PS3.3 C.11.2.1.2.1 (LINEAR) or C.11.2.1.3.2 (LINEAR_EXACT) with the output range [0, 1]:
// LINEAR: 0 for x <= c - 0.5 - (w-1)/2, 1 for x > c - 0.5 + (w-1)/2, else ((x - (c-0.5)) / (w-1) + 0.5).
double linear_voi(double x, double center, double width, bool exact = false);
// PS3.3 C.11.2.1.3.1 (SIGMOID), output range [0, 1].
double sigmoid_voi(double x, double center, double width);

// Which VOI transform applies, as data inspect and errors describe it.
struct VoiChoice {
  enum Kind { kLut, kWindow, kMinMax } kind = kMinMax;
  double center = 0, width = 0;
  std::string function = "LINEAR";  // of a window: LINEAR | LINEAR_EXACT | SIGMOID
  std::string describe() const;
};

// auto: the file's VOI LUT, else its first Window Center/Width (with its VOI LUT Function), else
// min-max; minmax: min-max; fixed: options.center/width with LINEAR.
VoiChoice choose_voi(const DicomInfo& info, const DicomOptions& options);

// The VOI transform of `rescaled` (grey images) into [0, 1], before MONOCHROME1's inversion. A VOI
// LUT's output is divided by 2^bits - 1; min-max maps the smallest value to 0, the largest to 1
// (all 0 when they are equal).
std::vector<double> voi_values(const std::vector<double>& rescaled, const DicomInfo& info,
                               const VoiChoice& voi);

// The image as H x W uint8 (grey, MONOCHROME1 inverted so that higher values are brighter) or
// H x W x 3 (RGB). Colour: 8 bits as they are; more bits scaled from their full range under auto,
// stretched under minmax, windowed per value under fixed.
cv::Mat dicom_to_8bit(const DicomImage& image, const DicomOptions& options);

}  // namespace softvit
