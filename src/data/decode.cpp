#include "data/decode.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "core/strings.h"
#include "data/dicom/dicom_decode.h"

namespace softvit {

bool jpeg_is_truncated(const std::vector<uint8_t>& bytes) {
  if (bytes.size() < 4 || bytes[0] != 0xFF || bytes[1] != 0xD8) return false;
  // Entropy-coded data never holds FF D9 (FF is followed by 00 or a restart marker there), so an
  // end-of-image marker near the end means the scan finished. Trailing padding is tolerated.
  const size_t first = bytes.size() > 4096 ? bytes.size() - 4096 : 3;
  for (size_t i = bytes.size() - 1; i >= first; --i)
    if (bytes[i - 1] == 0xFF && bytes[i] == 0xD9) return false;
  return true;
}

cv::Mat convert_pixels(const cv::Mat& pixels, const DecodeOptions& options) {
  if (pixels.channels() == options.channels) return pixels;
  cv::Mat out;
  if (options.channels == 1)
    cv::cvtColor(pixels, out, cv::COLOR_RGB2GRAY);
  else
    cv::cvtColor(pixels, out, cv::COLOR_GRAY2RGB);
  return out;
}

cv::Mat decode_image(const std::vector<uint8_t>& bytes, const std::string& name,
                     const DecodeOptions& options) {
  if (bytes.empty()) throw DataError(cat(name, ": empty file"));
  if (is_dicom(bytes, name)) return decode_dicom(bytes, name, options);
  const int flags = cv::IMREAD_ANYDEPTH | (options.channels == 1 ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR);
  cv::Mat image;
  try {
    image = cv::imdecode(
        cv::Mat(1, static_cast<int>(bytes.size()), CV_8U, const_cast<uint8_t*>(bytes.data())), flags);
  } catch (const cv::Exception& e) {
    throw DataError(cat(name, ": cannot decode: ", e.what()));
  }
  if (image.empty()) throw DataError(cat(name, ": cannot decode (not an image, corrupt or truncated)"));
  if (jpeg_is_truncated(bytes)) throw DataError(cat(name, ": truncated JPEG (no end-of-image marker)"));
  if (image.depth() == CV_16U) {
    cv::Mat scaled;
    if (options.minmax_16bit) {
      double lo = 0, hi = 0;
      cv::minMaxLoc(image.reshape(1), &lo, &hi);
      const double scale = hi > lo ? 255.0 / (hi - lo) : 0.0;
      image.convertTo(scaled, CV_8U, scale, -lo * scale);
    } else {
      image.convertTo(scaled, CV_8U, 1.0 / 257.0);
    }
    image = scaled;
  } else if (image.depth() != CV_8U) {
    cv::Mat scaled;  // float TIFFs and the like: assume [0, 1]
    image.convertTo(scaled, CV_8U, 255.0);
    image = scaled;
  }
  if (image.channels() == 3) cv::cvtColor(image, image, cv::COLOR_BGR2RGB);
  return image;
}

}  // namespace softvit
