#include "eval/line_chart.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"
#include "core/strings.h"
#include "eval/plot_canvas.h"

namespace softvit::plot {
namespace {

constexpr double kTickScale = 0.45, kLabelScale = 0.55, kTitleScale = 0.65;

struct Range {
  double low, high;
};

// The axis range: fixed ends where given, otherwise the data's with a margin of 4% of the span,
// so that points on the extremes are not cut by the frame.
Range axis_range(double data_low, double data_high, std::optional<double> low, std::optional<double> high) {
  if (!std::isfinite(data_low)) data_low = data_high = 0;  // no data
  double lo = low.value_or(data_low), hi = high.value_or(data_high);
  if (!(hi > lo)) {  // flat: open a window around the value
    const double pad = lo == 0 ? 1.0 : std::abs(lo) * 0.1;
    if (!low) lo -= pad;
    if (!high) hi += pad;
    if (!(hi > lo)) hi = lo + 1;
  }
  const double margin = 0.04 * (hi - lo);
  if (!low) lo -= margin;
  if (!high) hi += margin;
  return {lo, hi};
}

void draw_legend(cv::Mat& image, const cv::Rect& area, const std::vector<Series>& series,
                 const ChartOptions& o) {
  std::vector<size_t> entries;
  for (size_t i = 0; i < series.size(); ++i)
    if (!series[i].name.empty()) entries.push_back(i);
  if (entries.empty()) return;
  size_t shown = entries.size();
  std::string more;
  if (shown > o.max_legend_entries) {
    shown = std::max<size_t>(1, o.max_legend_entries) - 1;
    more = cat("+", entries.size() - shown, " more");
  }
  const int line_h = text_size("Ag", kTickScale).height + 10, sample_w = 28, pad = 8;
  int text_w = text_size(more, kTickScale).width;
  for (size_t k = 0; k < shown; ++k)
    text_w = std::max(text_w, text_size(series[entries[k]].name, kTickScale).width);
  const int rows = static_cast<int>(shown) + (more.empty() ? 0 : 1);
  const cv::Size box(pad * 3 + sample_w + text_w, pad * 2 + rows * line_h);
  const bool right = o.legend == Corner::top_right || o.legend == Corner::bottom_right;
  const bool bottom = o.legend == Corner::bottom_left || o.legend == Corner::bottom_right;
  const cv::Point corner(right ? area.x + area.width - box.width - 10 : area.x + 10,
                         bottom ? area.y + area.height - box.height - 10 : area.y + 10);
  const cv::Rect rect(corner, box);
  cv::rectangle(image, rect, kWhite, cv::FILLED);
  cv::rectangle(image, rect, kGray, 1);
  for (size_t k = 0; k < shown; ++k) {
    const Series& s = series[entries[k]];
    const cv::Scalar colour = s.colour.value_or(palette(entries[k]));
    const int y = corner.y + pad + static_cast<int>(k) * line_h + line_h / 2;
    const cv::Point2d a(corner.x + pad, y), b(corner.x + pad + sample_w, y);
    if (s.dashed)
      draw_dashed_line(image, a, b, colour, s.thickness, 6, 4);
    else
      cv::line(image, a, b, colour, s.thickness, cv::LINE_AA);
    draw_text(image, s.name, {corner.x + 2 * pad + sample_w, y}, Align::start, Align::center, kTickScale);
  }
  if (!more.empty())
    draw_text(image, more, {corner.x + 2 * pad + sample_w, corner.y + pad + rows * line_h - line_h / 2},
              Align::start, Align::center, kTickScale, kGray);
}

}  // namespace

cv::Mat draw_line_chart(const std::vector<Series>& series, const ChartOptions& o) {
  if (o.width < 200 || o.height < 150)
    throw Error(cat("line chart: ", o.width, " x ", o.height, " pixels is too small (at least 200 x 150)"));
  double x_lo = std::numeric_limits<double>::infinity(), x_hi = -x_lo, y_lo = x_lo, y_hi = -x_lo;
  for (const Series& s : series) {
    if (s.x.size() != s.y.size())
      throw Error(cat("line chart '", o.title, "': series '", s.name, "' has ", s.x.size(), " x but ",
                      s.y.size(), " y values"));
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      x_lo = std::min(x_lo, s.x[i]);
      x_hi = std::max(x_hi, s.x[i]);
      y_lo = std::min(y_lo, s.y[i]);
      y_hi = std::max(y_hi, s.y[i]);
    }
  }
  const Range xr = axis_range(x_lo, x_hi, o.x_min, o.x_max), yr = axis_range(y_lo, y_hi, o.y_min, o.y_max);
  std::vector<double> x_ticks = nice_ticks(xr.low, xr.high), y_ticks = nice_ticks(yr.low, yr.high);
  if (o.integer_x) {
    x_ticks.erase(std::remove_if(x_ticks.begin(), x_ticks.end(), [](double t) { return t != std::round(t); }),
                  x_ticks.end());
    if (x_ticks.empty()) x_ticks.push_back(std::round((xr.low + xr.high) / 2));
  }
  const double x_step = x_ticks.size() > 1 ? x_ticks[1] - x_ticks[0] : 1;
  const double y_step = y_ticks.size() > 1 ? y_ticks[1] - y_ticks[0] : 1;

  // Margins fit the widest y tick label, the axis titles and the title.
  int y_tick_w = 0;
  for (double t : y_ticks) y_tick_w = std::max(y_tick_w, text_size(tick_label(t, y_step), kTickScale).width);
  const int label_h = text_size("Ag", kLabelScale).height, tick_h = text_size("0", kTickScale).height;
  const int left = 16 + label_h + 12 + y_tick_w + 8, right = 24;
  const int top = o.title.empty() ? 20 : 24 + title_size(o.title, kTitleScale).height + 12;
  const int bottom = 8 + tick_h + 14 + (o.x_label.empty() ? 0 : label_h + 12);
  const cv::Rect area(left, top, o.width - left - right, o.height - top - bottom);
  if (area.width < 50 || area.height < 50) throw Error(cat("line chart '", o.title, "': no room to draw"));

  cv::Mat image(o.height, o.width, CV_8UC3, kWhite);
  auto px = [&](double x) { return area.x + (x - xr.low) / (xr.high - xr.low) * area.width; };
  auto py = [&](double y) { return area.y + area.height - (y - yr.low) / (yr.high - yr.low) * area.height; };

  for (double t : x_ticks) {
    const int x = static_cast<int>(std::lround(px(t)));
    cv::line(image, {x, area.y}, {x, area.y + area.height}, kGrid, 1);
    cv::line(image, {x, area.y + area.height}, {x, area.y + area.height + 5}, kBlack, 1);
    draw_text(image, tick_label(t, x_step), {x, area.y + area.height + 8}, Align::center, Align::start,
              kTickScale);
  }
  for (double t : y_ticks) {
    const int y = static_cast<int>(std::lround(py(t)));
    cv::line(image, {area.x, y}, {area.x + area.width, y}, kGrid, 1);
    cv::line(image, {area.x - 5, y}, {area.x, y}, kBlack, 1);
    draw_text(image, tick_label(t, y_step), {area.x - 8, y}, Align::end, Align::center, kTickScale);
  }

  // Series, clipped to the plot area by drawing into a view of it.
  cv::Mat plot = image(area);
  const cv::Point2d offset(area.x, area.y);
  for (size_t i = 0; i < series.size(); ++i) {
    const Series& s = series[i];
    const cv::Scalar colour = s.colour.value_or(palette(i));
    std::vector<cv::Point2d> points;
    for (size_t k = 0; k < s.x.size(); ++k)
      if (std::isfinite(s.x[k]) && std::isfinite(s.y[k])) points.emplace_back(px(s.x[k]), py(s.y[k]));
    double phase = 0;
    for (size_t k = 1; k < points.size(); ++k) {
      if (s.dashed)
        phase = draw_dashed_line(plot, points[k - 1] - offset, points[k] - offset, colour, s.thickness, 8, 6,
                                 phase);
      else
        cv::line(plot, points[k - 1] - offset, points[k] - offset, colour, s.thickness, cv::LINE_AA);
    }
    if (s.markers)
      for (const auto& p : points)
        cv::circle(plot, p - offset, s.thickness + 2, colour, cv::FILLED, cv::LINE_AA);
  }
  cv::rectangle(image, area, kBlack, 1);

  if (!o.title.empty()) draw_title(image, o.title, area.x + area.width / 2, 16, kTitleScale);
  if (!o.x_label.empty())
    draw_text(image, o.x_label, {area.x + area.width / 2, o.height - 10}, Align::center, Align::end,
              kLabelScale);
  if (!o.y_label.empty())
    draw_vertical_text(image, o.y_label, {12, area.y + area.height / 2}, Align::center, Align::start,
                       kLabelScale);
  draw_legend(image, area, series, o);
  return image;
}

}  // namespace softvit::plot
