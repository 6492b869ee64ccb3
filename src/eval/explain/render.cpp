#include "eval/explain/render.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>

#include "core/error.h"
#include "core/strings.h"
#include "eval/plot_canvas.h"

namespace softvit {
namespace {

constexpr double kCaptionScale = 0.45;
constexpr int kMargin = 10;

double channel_value(const std::vector<double>& values, int64_t c, double fallback) {
  if (values.empty()) return fallback;
  return values.size() == 1 ? values[0] : values.at(static_cast<size_t>(c));
}

// Turbo colours of a map in [0, 1] (BGR uint8).
cv::Mat colourise(const cv::Mat& map01) {
  cv::Mat bytes, colour;
  map01.convertTo(bytes, CV_8U, 255.0);
  cv::applyColorMap(bytes, colour, cv::COLORMAP_TURBO);
  return colour;
}

}  // namespace

cv::Mat to_display_image(const torch::Tensor& image, const std::vector<double>& mean,
                         const std::vector<double>& std) {
  TORCH_CHECK(image.dim() == 3, "an image is C x H x W");
  const int64_t channels = image.size(0);
  if (channels != 1 && channels != 3) throw Error(cat("cannot show an image of ", channels, " channels"));
  auto pixels = image.detach().to(torch::kCPU, torch::kFloat).clone();
  for (int64_t c = 0; c < channels; ++c)
    pixels[c].mul_(channel_value(std, c, 1.0)).add_(channel_value(mean, c, 0.0));
  pixels = (pixels.clamp(0, 1) * 255).round().to(torch::kUInt8).permute({1, 2, 0}).contiguous();
  const int h = static_cast<int>(pixels.size(0)), w = static_cast<int>(pixels.size(1));
  cv::Mat view(h, w, channels == 1 ? CV_8UC1 : CV_8UC3, pixels.data_ptr<uint8_t>());
  cv::Mat bgr;
  cv::cvtColor(view, bgr, channels == 1 ? cv::COLOR_GRAY2BGR : cv::COLOR_RGB2BGR);  // copies
  return bgr;
}

cv::Mat overlay_heat_map(const cv::Mat& image, const torch::Tensor& map, int side, double alpha) {
  const auto values = map.detach().to(torch::kCPU, torch::kFloat).contiguous();
  TORCH_CHECK(values.dim() == 2 && values.size(0) == image.rows && values.size(1) == image.cols,
              "the heat map must have the image's size");
  const cv::Mat map01(image.rows, image.cols, CV_32F, const_cast<float*>(values.data_ptr<float>()));
  const int factor = std::max(1, side / std::max(image.rows, image.cols));
  const cv::Size shown(image.cols * factor, image.rows * factor);
  cv::Mat pixels, heat;
  cv::resize(image, pixels, shown, 0, 0, cv::INTER_NEAREST);
  // The map is already bilinear at the image's resolution; smooth again to the shown size.
  cv::resize(map01, heat, shown, 0, 0, cv::INTER_LINEAR);
  cv::Mat blended;
  cv::addWeighted(pixels, 1.0 - alpha, colourise(cv::min(cv::max(heat, 0.0), 1.0)), alpha, 0.0, blended);
  return blended;
}

cv::Mat draw_colour_bar(int height, const std::string& caption) {
  const int bar_w = 14, inset = 8;
  const int label_w =
      std::max(plot::text_size("0", kCaptionScale).width, plot::text_size("1", kCaptionScale).width);
  const int caption_h = plot::text_size(caption, kCaptionScale).width;  // drawn turned
  const int bar_h = std::max(height - 2 * inset, 20);
  cv::Mat bar(height, inset + bar_w + 6 + label_w + 8 + plot::text_size("Ag", kCaptionScale).height + inset,
              CV_8UC3, plot::kWhite);
  cv::Mat ramp(bar_h, 1, CV_32F);
  for (int y = 0; y < bar_h; ++y) ramp.at<float>(y) = 1.0f - static_cast<float>(y) / std::max(bar_h - 1, 1);
  cv::Mat colours;
  cv::resize(colourise(ramp), colours, {bar_w, bar_h}, 0, 0, cv::INTER_NEAREST);
  colours.copyTo(bar(cv::Rect(inset, inset, bar_w, bar_h)));
  cv::rectangle(bar, cv::Rect(inset, inset, bar_w, bar_h), plot::kBlack, 1);
  const int label_x = inset + bar_w + 6;
  plot::draw_text(bar, "1", {label_x, inset}, plot::Align::start, plot::Align::start, kCaptionScale);
  plot::draw_text(bar, "0", {label_x, inset + bar_h}, plot::Align::start, plot::Align::end, kCaptionScale);
  if (caption_h < bar_h)
    plot::draw_vertical_text(bar, caption, {label_x + label_w + 8, inset + bar_h / 2}, plot::Align::center,
                             plot::Align::start, kCaptionScale);
  return bar;
}

cv::Mat draw_explanation(const cv::Mat& overlay, const std::vector<std::string>& title) {
  const cv::Mat bar = draw_colour_bar(overlay.rows);
  const int line_h = plot::text_size("Ag", kCaptionScale).height + 8;
  int text_w = 0;
  for (const auto& line : title) text_w = std::max(text_w, plot::text_size(line, kCaptionScale).width);
  const int width = std::max(kMargin + overlay.cols + bar.cols, text_w + 2 * kMargin);
  const int top = kMargin + line_h * static_cast<int>(title.size());
  cv::Mat figure(top + overlay.rows + kMargin, width, CV_8UC3, plot::kWhite);
  for (size_t i = 0; i < title.size(); ++i)
    plot::draw_text(figure, title[i], {kMargin, kMargin + line_h * static_cast<int>(i)}, plot::Align::start,
                    plot::Align::start, kCaptionScale);
  overlay.copyTo(figure(cv::Rect(kMargin, top, overlay.cols, overlay.rows)));
  bar.copyTo(figure(cv::Rect(kMargin + overlay.cols, top, bar.cols, bar.rows)));
  return figure;
}

}  // namespace softvit
