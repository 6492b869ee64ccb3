#include "data/transforms/image_ops.h"

#include <opencv2/imgproc.hpp>

#include <cmath>

namespace softvit::image_ops {
namespace {

void apply_lut(cv::Mat& image, const cv::Mat& lut) {  // lut: 1 x 256, 1 or image.channels() channels
  cv::Mat out;
  cv::LUT(image, lut, out);
  image = out;
}

// out = degenerate + factor * (image - degenerate), rounded and clipped to 0..255.
void blend(cv::Mat& image, const cv::Mat& degenerate, double factor) {
  cv::Mat out;
  cv::addWeighted(image, factor, degenerate, 1.0 - factor, 0.0, out);
  image = out;
}

}  // namespace

cv::Mat luminance(const cv::Mat& image) {
  if (image.channels() == 1) return image;
  cv::Mat gray;
  cv::cvtColor(image, gray, cv::COLOR_RGB2GRAY);
  return gray;
}

void brightness(cv::Mat& image, double factor) {
  cv::Mat out;
  image.convertTo(out, CV_8U, factor);
  image = out;
}

void contrast(cv::Mat& image, double factor) {
  const double mean = std::floor(cv::mean(luminance(image))[0] + 0.5);
  cv::Mat out;
  image.convertTo(out, CV_8U, factor, (1.0 - factor) * mean);
  image = out;
}

void saturation(cv::Mat& image, double factor) {
  if (image.channels() == 1) return;
  cv::Mat gray;
  cv::cvtColor(luminance(image), gray, cv::COLOR_GRAY2RGB);
  blend(image, gray, factor);
}

void sharpness(cv::Mat& image, double factor) {
  if (image.rows < 3 || image.cols < 3) return;
  cv::Mat smooth;
  const cv::Mat kernel = (cv::Mat_<float>(3, 3) << 1, 1, 1, 1, 5, 1, 1, 1, 1) / 13.0f;
  cv::filter2D(image, smooth, -1, kernel, cv::Point(-1, -1), 0, cv::BORDER_REPLICATE);
  // PIL leaves the one-pixel border unfiltered.
  image.row(0).copyTo(smooth.row(0));
  image.row(image.rows - 1).copyTo(smooth.row(image.rows - 1));
  image.col(0).copyTo(smooth.col(0));
  image.col(image.cols - 1).copyTo(smooth.col(image.cols - 1));
  blend(image, smooth, factor);
}

void hue(cv::Mat& image, double shift) {
  if (image.channels() == 1 || shift == 0) return;
  cv::Mat hsv;
  cv::cvtColor(image, hsv, cv::COLOR_RGB2HSV_FULL);  // H in 0..255 for a full turn
  const int delta = static_cast<int>(std::lround(shift * 256.0));
  cv::Mat lut(1, 256, CV_8UC3);
  for (int i = 0; i < 256; ++i)
    lut.at<cv::Vec3b>(0, i) = cv::Vec3b(static_cast<uint8_t>((i + delta) & 0xFF), i, i);
  apply_lut(hsv, lut);
  cv::cvtColor(hsv, image, cv::COLOR_HSV2RGB_FULL);
}

void autocontrast(cv::Mat& image) {
  std::vector<cv::Mat> planes;
  cv::split(image, planes);
  for (auto& plane : planes) {
    double lo = 0, hi = 0;
    cv::minMaxLoc(plane, &lo, &hi);
    if (hi <= lo) continue;
    const double scale = 255.0 / (hi - lo), offset = -lo * scale;
    cv::Mat lut(1, 256, CV_8U);
    for (int i = 0; i < 256; ++i)
      lut.at<uint8_t>(i) = cv::saturate_cast<uint8_t>(std::trunc(i * scale + offset));
    apply_lut(plane, lut);
  }
  cv::merge(planes, image);
}

void equalize(cv::Mat& image) {
  std::vector<cv::Mat> planes;
  cv::split(image, planes);
  for (auto& plane : planes) {
    int64_t histogram[256] = {};
    for (int y = 0; y < plane.rows; ++y)
      for (int x = 0; x < plane.cols; ++x) ++histogram[plane.at<uint8_t>(y, x)];
    // PIL: step = (sum of the non-zero bins but the last) // 255; lut[i] = (step // 2 + cumsum) // step.
    int64_t total = 0, last = 0;
    for (int64_t h : histogram)
      if (h) {
        total += h;
        last = h;
      }
    const int64_t step = (total - last) / 255;
    if (step == 0) continue;
    cv::Mat lut(1, 256, CV_8U);
    int64_t n = step / 2;
    for (int i = 0; i < 256; ++i) {
      lut.at<uint8_t>(i) = static_cast<uint8_t>(std::min<int64_t>(n / step, 255));
      n += histogram[i];
    }
    apply_lut(plane, lut);
  }
  cv::merge(planes, image);
}

void invert(cv::Mat& image) { cv::bitwise_not(image, image); }

void posterize(cv::Mat& image, int bits) {
  if (bits >= 8) return;
  const uint8_t mask = static_cast<uint8_t>(~((1 << (8 - std::max(bits, 0))) - 1) & 0xFF);
  cv::bitwise_and(image, cv::Scalar::all(mask), image);
}

void solarize(cv::Mat& image, int threshold) {
  cv::Mat lut(1, 256, CV_8U);
  for (int i = 0; i < 256; ++i) lut.at<uint8_t>(i) = static_cast<uint8_t>(i < threshold ? i : 255 - i);
  apply_lut(image, lut);
}

void solarize_add(cv::Mat& image, int add, int threshold) {
  cv::Mat lut(1, 256, CV_8U);
  for (int i = 0; i < 256; ++i) lut.at<uint8_t>(i) = i < threshold ? cv::saturate_cast<uint8_t>(i + add) : i;
  apply_lut(image, lut);
}

void affine(cv::Mat& image, const cv::Matx23d& output_to_input, int interpolation, const cv::Scalar& fill) {
  // PIL samples at pixel centres: output centre (x + .5, y + .5) maps to input centre, so in
  // index coordinates the offset gains (a + b - 1) / 2 and (d + e - 1) / 2.
  cv::Matx23d m = output_to_input;
  m(0, 2) += 0.5 * (m(0, 0) + m(0, 1) - 1.0);
  m(1, 2) += 0.5 * (m(1, 0) + m(1, 1) - 1.0);
  cv::Mat out;
  cv::warpAffine(image, out, cv::Mat(m), image.size(), interpolation | cv::WARP_INVERSE_MAP,
                 cv::BORDER_CONSTANT, fill);
  image = out;
}

void rotate(cv::Mat& image, double degrees, int interpolation, const cv::Scalar& fill) {
  const cv::Point2f centre((image.cols - 1) * 0.5f, (image.rows - 1) * 0.5f);
  cv::Mat out;
  cv::warpAffine(image, out, cv::getRotationMatrix2D(centre, degrees, 1.0), image.size(), interpolation,
                 cv::BORDER_CONSTANT, fill);
  image = out;
}

}  // namespace softvit::image_ops
