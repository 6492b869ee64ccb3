#include "data/dicom/dicom_window.h"

#include <algorithm>
#include <cmath>

#include "core/strings.h"

namespace softvit {
namespace {

uint8_t to_byte(double unit) { return cv::saturate_cast<uint8_t>(unit * 255.0); }

}  // namespace

std::vector<double> rescaled_values(const DicomImage& image) {
  std::vector<double> out(image.values.size());
  const double slope = image.info.rescale_slope, intercept = image.info.rescale_intercept;
  for (size_t i = 0; i < out.size(); ++i) out[i] = image.values[i] * slope + intercept;
  return out;
}

double linear_voi(double x, double center, double width, bool exact) {
  if (!exact) {  // LINEAR: the centre half a unit lower, the width one unit narrower
    center -= 0.5;
    width -= 1;
  }
  if (x <= center - width / 2) return 0.0;
  if (x > center + width / 2) return 1.0;
  return (x - center) / width + 0.5;
}

double sigmoid_voi(double x, double center, double width) {
  return 1.0 / (1.0 + std::exp(-4.0 * (x - center) / width));
}

std::string VoiChoice::describe() const {
  switch (kind) {
    case kLut:
      return "VOI LUT";
    case kWindow:
      return cat("window ", center, "/", width, function == "LINEAR" ? "" : " " + function);
    case kMinMax:
      break;
  }
  return "min-max";
}

VoiChoice choose_voi(const DicomInfo& info, const DicomOptions& options) {
  VoiChoice voi;
  if (options.window == "fixed") {
    voi.kind = VoiChoice::kWindow;
    voi.center = options.center;
    voi.width = options.width;
  } else if (options.window == "auto") {
    const bool window = !info.window_centers.empty() && !info.window_widths.empty();
    const std::string& function = info.voi_function;
    const bool usable =
        window && (function == "LINEAR" ? info.window_widths[0] >= 1 : info.window_widths[0] > 0);
    if (info.has_voi_lut) {
      voi.kind = VoiChoice::kLut;
    } else if (usable && (function == "LINEAR" || function == "LINEAR_EXACT" || function == "SIGMOID")) {
      voi.kind = VoiChoice::kWindow;
      voi.center = info.window_centers[0];
      voi.width = info.window_widths[0];
      voi.function = function;
    }
  }
  return voi;
}

std::vector<double> voi_values(const std::vector<double>& rescaled, const DicomInfo& info,
                               const VoiChoice& voi) {
  std::vector<double> out(rescaled.size());
  if (voi.kind == VoiChoice::kLut) {
    const DicomLut& lut = info.voi_lut;
    const double top = std::ldexp(1.0, lut.bits) - 1;
    const auto last = static_cast<int64_t>(lut.data.size()) - 1;
    for (size_t i = 0; i < out.size(); ++i) {
      const int64_t index =
          std::clamp(static_cast<int64_t>(std::floor(rescaled[i])) - lut.first_mapped, int64_t{0}, last);
      out[i] = lut.data[static_cast<size_t>(index)] / top;
    }
  } else if (voi.kind == VoiChoice::kWindow) {
    for (size_t i = 0; i < out.size(); ++i)
      out[i] = voi.function == "SIGMOID"
                   ? sigmoid_voi(rescaled[i], voi.center, voi.width)
                   : linear_voi(rescaled[i], voi.center, voi.width, voi.function == "LINEAR_EXACT");
  } else if (!rescaled.empty()) {
    const auto [lo, hi] = std::minmax_element(rescaled.begin(), rescaled.end());
    const double low = *lo, range = *hi - *lo;
    for (size_t i = 0; i < out.size(); ++i) out[i] = range > 0 ? (rescaled[i] - low) / range : 0.0;
  }
  return out;
}

cv::Mat dicom_to_8bit(const DicomImage& image, const DicomOptions& options) {
  const DicomInfo& info = image.info;
  const std::vector<double> rescaled = rescaled_values(image);
  std::vector<double> unit;
  if (info.samples == 1) {
    unit = voi_values(rescaled, info, choose_voi(info, options));
  } else if (options.window == "fixed" || options.window == "minmax") {
    unit = voi_values(rescaled, info, choose_voi(info, options));
  } else {  // colour under auto: the full range of the stored bits (8 bits: as they are)
    const double top = std::ldexp(1.0, info.bits_stored) - 1;
    unit.resize(rescaled.size());
    for (size_t i = 0; i < unit.size(); ++i) unit[i] = image.values[i] / top;
  }
  cv::Mat out(info.rows, info.cols, info.samples == 1 ? CV_8UC1 : CV_8UC3);
  const bool invert = info.photometric == "MONOCHROME1";
  auto* p = out.ptr<uint8_t>();
  for (size_t i = 0; i < unit.size(); ++i)
    p[i] = invert ? static_cast<uint8_t>(255 - to_byte(unit[i])) : to_byte(unit[i]);
  return out;
}

}  // namespace softvit
