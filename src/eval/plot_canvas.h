// Drawing primitives shared by the charts (OpenCV, BGR images on white): aligned and rotated
// text, dashed lines, a categorical palette, "nice" axis ticks, and writing a PNG atomically.
#pragma once
#include <opencv2/core.hpp>

#include <string>
#include <vector>

namespace softvit::plot {

enum class Align { start, center, end };

const cv::Scalar kBlack(0, 0, 0), kWhite(255, 255, 255), kGrid(228, 228, 228), kGray(128, 128, 128);
constexpr int kFont = 0;  // cv::FONT_HERSHEY_SIMPLEX

// Width and height (cap height, without descenders) of `text` at `scale`.
cv::Size text_size(const std::string& text, double scale, int thickness = 1);

// Draws `text` so that `anchor` is at its left/center/right (h) and top/middle/bottom (v).
void draw_text(cv::Mat& image, const std::string& text, cv::Point anchor, Align h, Align v, double scale,
               const cv::Scalar& colour = kBlack, int thickness = 1);

// The same, turned 90 degrees counter-clockwise (reads bottom to top), e.g. a y-axis title;
// `anchor` is placed like draw_text's, in the turned text's own frame.
void draw_vertical_text(cv::Mat& image, const std::string& text, cv::Point anchor, Align h, Align v,
                        double scale, const cv::Scalar& colour = kBlack, int thickness = 1);

// A bold title of one or more lines (split at '\n'), each centred on `center_x`, the first
// starting at `top`; title_size gives the widest line and the height of them all.
cv::Size title_size(const std::string& title, double scale);
void draw_title(cv::Mat& image, const std::string& title, int center_x, int top, double scale);

// Draws dashes of `dash` pixels with `gap` between; `phase` is how far into the pattern the line
// starts. Returns the phase at its end, so that a polyline of short segments keeps its dashes.
double draw_dashed_line(cv::Mat& image, cv::Point2d from, cv::Point2d to, const cv::Scalar& colour,
                        int thickness, double dash = 8, double gap = 6, double phase = 0);

// The i-th colour of matplotlib's tab10 palette (cycles after 10).
cv::Scalar palette(size_t i);

// Roughly `target` ticks at 1, 2, 2.5 or 5 times a power of ten covering [low, high].
std::vector<double> nice_ticks(double low, double high, int target = 6);
// A tick label with as many decimals as the step between ticks needs (scientific when tiny/huge).
std::string tick_label(double value, double step);

// Encodes `image` as PNG and writes it atomically; throws Error naming the path on failure.
void write_png(const std::string& path, const cv::Mat& image);

}  // namespace softvit::plot
