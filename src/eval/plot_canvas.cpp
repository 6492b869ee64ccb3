#include "eval/plot_canvas.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/strings.h"

namespace softvit::plot {

cv::Size text_size(const std::string& text, double scale, int thickness) {
  int baseline = 0;
  return cv::getTextSize(text, kFont, scale, thickness, &baseline);
}

namespace {

cv::Point aligned_origin(const cv::Size& size, cv::Point anchor, Align h, Align v) {
  // putText's origin is the left end of the baseline.
  const int x = h == Align::start    ? anchor.x
                : h == Align::center ? anchor.x - size.width / 2
                                     : anchor.x - size.width;
  const int y = v == Align::start    ? anchor.y + size.height
                : v == Align::center ? anchor.y + size.height / 2
                                     : anchor.y;
  return {x, y};
}

}  // namespace

void draw_text(cv::Mat& image, const std::string& text, cv::Point anchor, Align h, Align v, double scale,
               const cv::Scalar& colour, int thickness) {
  const cv::Size size = text_size(text, scale, thickness);
  cv::putText(image, text, aligned_origin(size, anchor, h, v), kFont, scale, colour, thickness, cv::LINE_AA);
}

void draw_vertical_text(cv::Mat& image, const std::string& text, cv::Point anchor, Align h, Align v,
                        double scale, const cv::Scalar& colour, int thickness) {
  int baseline = 0;
  const cv::Size size = cv::getTextSize(text, kFont, scale, thickness, &baseline);
  // Render horizontally on a patch of the background, turn it, and paste it back. Anchoring in
  // the turned frame: "start" is the bottom of the image (where the text begins).
  const int pad = 2;
  cv::Mat patch(size.height + baseline + 2 * pad, size.width + 2 * pad, image.type(), kWhite);
  cv::putText(patch, text, {pad, pad + size.height}, kFont, scale, colour, thickness, cv::LINE_AA);
  cv::Mat turned;
  cv::rotate(patch, turned, cv::ROTATE_90_COUNTERCLOCKWISE);
  const int x = v == Align::start    ? anchor.x
                : v == Align::center ? anchor.x - turned.cols / 2
                                     : anchor.x - turned.cols;
  const int y = h == Align::start    ? anchor.y - turned.rows
                : h == Align::center ? anchor.y - turned.rows / 2
                                     : anchor.y;
  const cv::Rect target = cv::Rect(x, y, turned.cols, turned.rows) & cv::Rect(0, 0, image.cols, image.rows);
  if (target.area() == 0) return;
  cv::Mat source = turned(cv::Rect(target.x - x, target.y - y, target.width, target.height));
  // Paste only the drawn pixels so that the patch's background does not cover neighbours.
  cv::Mat mask;
  cv::inRange(source, kWhite, kWhite, mask);
  cv::bitwise_not(mask, mask);
  source.copyTo(image(target), mask);
}

namespace {
constexpr int kTitleLineGap = 8;
}

cv::Size title_size(const std::string& title, double scale) {
  const std::vector<std::string> lines = split(title, '\n');
  int width = 0;
  for (const auto& line : lines) width = std::max(width, text_size(line, scale, 2).width);
  const int line_h = text_size("Ag", scale).height;
  return {width, line_h + static_cast<int>(lines.size() - 1) * (line_h + kTitleLineGap)};
}

void draw_title(cv::Mat& image, const std::string& title, int center_x, int top, double scale) {
  const int line_h = text_size("Ag", scale).height;
  int y = top;
  for (const auto& line : split(title, '\n')) {
    draw_text(image, line, {center_x, y}, Align::center, Align::start, scale, kBlack, 2);
    y += line_h + kTitleLineGap;
  }
}

double draw_dashed_line(cv::Mat& image, cv::Point2d from, cv::Point2d to, const cv::Scalar& colour,
                        int thickness, double dash, double gap, double phase) {
  const cv::Point2d d = to - from;
  const double length = std::hypot(d.x, d.y), period = dash + gap;
  if (length == 0) return phase;
  const cv::Point2d unit = d / length;
  // s runs along the line; the pattern position at s is phase + s (mod period).
  for (double s = -std::fmod(phase, period); s < length; s += period) {
    const double a = std::max(s, 0.0), b = std::min(s + dash, length);
    if (b > a) cv::line(image, from + unit * a, from + unit * b, colour, thickness, cv::LINE_AA);
  }
  return std::fmod(phase + length, period);
}

cv::Scalar palette(size_t i) {
  static const cv::Scalar colours[] = {{180, 119, 31},  {14, 127, 255}, {44, 160, 44},   {40, 39, 214},
                                       {189, 103, 148}, {75, 86, 140},  {194, 119, 227}, {127, 127, 127},
                                       {34, 189, 188},  {207, 190, 23}};
  return colours[i % 10];
}

std::vector<double> nice_ticks(double low, double high, int target) {
  if (!(high > low) || !std::isfinite(low) || !std::isfinite(high)) return {low};
  const double raw = (high - low) / std::max(1, target - 1);
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  double step = 10 * power;
  for (double m : {1.0, 2.0, 2.5, 5.0})
    if (m * power >= raw) {
      step = m * power;
      break;
    }
  std::vector<double> ticks;
  for (double t = std::ceil(low / step - 1e-9) * step; t <= high + step * 1e-9; t += step)
    ticks.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
  return ticks;
}

std::string tick_label(double value, double step) {
  char buffer[32];
  if (step < 1e-3 || std::abs(value) >= 1e5) {  // scientific: 2.5e-4, 1e-3, 0
    if (value == 0) return "0";
    const int exponent = static_cast<int>(std::floor(std::log10(std::abs(value)) + 1e-9));
    std::snprintf(buffer, sizeof buffer, "%.2ge%d", value / std::pow(10.0, exponent), exponent);
    return buffer;
  }
  int decimals = std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9)));
  const double scaled = step * std::pow(10.0, decimals);
  if (std::abs(scaled - std::round(scaled)) > 1e-6) ++decimals;  // steps of 2.5 x 10^k
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

void write_png(const std::string& path, const cv::Mat& image) {
  std::vector<uchar> bytes;
  bool ok = false;
  try {
    ok = cv::imencode(".png", image, bytes);
  } catch (const cv::Exception& e) {
    throw Error(cat("cannot encode the PNG for '", path, "': ", e.what()));
  }
  if (!ok) throw Error(cat("cannot encode the PNG for '", path, "'"));
  write_file_atomic(path, bytes.data(), bytes.size());
}

}  // namespace softvit::plot
