// A line chart on a white canvas: axes with nice ticks and grid, axis titles, a title, a legend
// and any number of series (solid or dashed, points optionally marked).
#pragma once
#include <opencv2/core.hpp>

#include <optional>
#include <string>
#include <vector>

namespace softvit::plot {

struct Series {
  std::string name;  // legend entry; empty: not in the legend
  std::vector<double> x, y;
  std::optional<cv::Scalar> colour;  // default: the palette colour of the series' position
  bool dashed = false;
  int thickness = 2;
  bool markers = false;  // a dot on every point (a one-point series shows nothing without)
};

enum class Corner { top_left, top_right, bottom_left, bottom_right };

struct ChartOptions {
  std::string title, x_label, y_label;
  int width = 800, height = 600;
  // Axis ranges; unset: the data's range widened to the nearest ticks.
  std::optional<double> x_min, x_max, y_min, y_max;
  bool integer_x = false;  // ticks only at whole numbers (epochs)
  Corner legend = Corner::top_right;
  size_t max_legend_entries = 20;  // beyond: "+N more"
};

// Throws Error when a series' x and y differ in length or the canvas is too small to draw on.
cv::Mat draw_line_chart(const std::vector<Series>& series, const ChartOptions& options);

}  // namespace softvit::plot
