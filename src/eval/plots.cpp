#include "eval/plots.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <functional>

#include "core/strings.h"
#include "eval/line_chart.h"
#include "eval/plot_canvas.h"

namespace softvit {
using namespace plot;

cv::Scalar heat_colour(double fraction) {
  // matplotlib's "Blues", BGR, light to dark.
  static const cv::Vec3d anchors[] = {{255, 251, 247}, {247, 235, 222}, {239, 219, 198},
                                      {225, 202, 158}, {214, 174, 107}, {198, 146, 66},
                                      {181, 113, 33},  {156, 81, 8},    {107, 48, 8}};
  constexpr int last = 8;
  const double t = std::clamp(std::isfinite(fraction) ? fraction : 0.0, 0.0, 1.0) * last;
  const int i = std::min(static_cast<int>(t), last - 1);
  const cv::Vec3d c = anchors[i] + (anchors[i + 1] - anchors[i]) * (t - i);
  return {c[0], c[1], c[2]};
}

namespace {

// A classes x classes heat map of `values` (row t, column p), coloured from 0 to `top`, with
// `cell_text` in the cells where it fits and a colour bar from 0 to `top`.
struct HeatGrid {
  int classes;
  std::vector<double> values;
  double top;
  std::function<std::string(double)> cell_text;
};

cv::Mat draw_heat_grid(const HeatGrid& g, const std::vector<std::string>& names_in, const std::string& title,
                       cv::Rect* cells) {
  const int classes = g.classes;
  std::vector<std::string> names = names_in;
  if (static_cast<int>(names.size()) != classes) {
    names.clear();
    for (int c = 0; c < classes; ++c) names.push_back(std::to_string(c));
  }
  auto value = [&](int t, int p) { return g.values[static_cast<size_t>(t) * classes + p]; };
  const int cell = std::clamp(560 / std::max(1, classes), 3, 110);
  constexpr double name_scale = 0.45, label_scale = 0.55, title_scale = 0.65;

  // Texts in the cells at the largest scale that fits, or none.
  double text_scale = 0;
  std::string widest;
  for (double v : g.values)
    if (const std::string text = g.cell_text(v); text_size(text, 0.55).width > text_size(widest, 0.55).width)
      widest = text;
  for (double s = 0.55; s >= 0.3 && text_scale == 0; s -= 0.05)
    if (text_size(widest, s).width <= cell - 6 && text_size("0", s).height <= cell - 6) text_scale = s;
  const bool show_names = cell >= 12;
  int name_w = 0;
  if (show_names)
    for (const auto& n : names) name_w = std::max(name_w, text_size(n, name_scale).width);
  const bool vertical_names = name_w > cell - 4;
  const int name_h = text_size("Ag", name_scale).height, label_h = text_size("Ag", label_scale).height;

  const int grid = classes * cell;
  const int left = 16 + label_h + 12 + name_w + 8;
  const int top = 24 + title_size(title, title_scale).height + 16;
  const int bottom = 8 + (show_names ? (vertical_names ? name_w : name_h) : 0) + 16 + label_h + 12;
  std::vector<double> bar_ticks = nice_ticks(0, g.top, 5);
  bar_ticks.erase(std::remove_if(bar_ticks.begin(), bar_ticks.end(), [&](double t) { return t > g.top; }),
                  bar_ticks.end());
  const double bar_step = bar_ticks.size() > 1 ? bar_ticks[1] - bar_ticks[0] : 1;
  int bar_label_w = 0;
  for (double t : bar_ticks)
    bar_label_w = std::max(bar_label_w, text_size(tick_label(t, bar_step), name_scale).width);
  const int bar_x = left + grid + 24, bar_w = 18;
  const int width = std::max(bar_x + bar_w + 8 + bar_label_w + 16, title_size(title, title_scale).width + 32);
  const int height = top + std::max(grid, 120) + bottom;

  cv::Mat image(height, width, CV_8UC3, kWhite);
  if (cells) *cells = cv::Rect(left, top, grid, grid);
  for (int t = 0; t < classes; ++t)
    for (int p = 0; p < classes; ++p) {
      const double fraction = value(t, p) / g.top;
      const cv::Rect rect(left + p * cell, top + t * cell, cell, cell);
      cv::rectangle(image, rect, heat_colour(fraction), cv::FILLED);
      if (text_scale > 0)
        draw_text(image, g.cell_text(value(t, p)), {rect.x + cell / 2, rect.y + cell / 2}, Align::center,
                  Align::center, text_scale, fraction > 0.55 ? kWhite : kBlack);
    }
  if (cell >= 8)  // cell borders, where there is room for them
    for (int k = 0; k <= classes; ++k) {
      cv::line(image, {left + k * cell, top}, {left + k * cell, top + grid}, kWhite, 1);
      cv::line(image, {left, top + k * cell}, {left + grid, top + k * cell}, kWhite, 1);
    }
  cv::rectangle(image, {left - 1, top - 1, grid + 2, grid + 2}, kGray, 1);

  if (show_names)
    for (int c = 0; c < classes; ++c) {
      const int middle = c * cell + cell / 2;
      draw_text(image, names[c], {left - 8, top + middle}, Align::end, Align::center, name_scale);
      if (vertical_names)  // read bottom to top, ending just under the grid
        draw_vertical_text(image, names[c], {left + middle, top + grid + 8}, Align::end, Align::center,
                           name_scale);
      else
        draw_text(image, names[c], {left + middle, top + grid + 8}, Align::center, Align::start, name_scale);
    }
  draw_text(image, "predicted class", {left + grid / 2, height - 10}, Align::center, Align::end, label_scale);
  draw_vertical_text(image, "true class", {12, top + grid / 2}, Align::center, Align::start, label_scale);
  draw_title(image, title, width / 2, 16, title_scale);

  // Colour bar: 0 at the bottom, `top` at the top.
  const int bar_h = std::max(grid, 120);
  for (int y = 0; y < bar_h; ++y)
    cv::line(image, {bar_x, top + bar_h - 1 - y}, {bar_x + bar_w - 1, top + bar_h - 1 - y},
             heat_colour(static_cast<double>(y) / (bar_h - 1)), 1);
  cv::rectangle(image, {bar_x - 1, top - 1, bar_w + 2, bar_h + 2}, kGray, 1);
  for (double t : bar_ticks) {
    const int y = top + bar_h - 1 - static_cast<int>(std::lround(t / g.top * (bar_h - 1)));
    cv::line(image, {bar_x + bar_w, y}, {bar_x + bar_w + 4, y}, kBlack, 1);
    draw_text(image, tick_label(t, bar_step), {bar_x + bar_w + 8, y}, Align::start, Align::center,
              name_scale);
  }
  return image;
}

}  // namespace

cv::Mat draw_confusion_matrix(const ConfusionMatrix& m, const std::vector<std::string>& names,
                              const std::string& title, cv::Rect* cells) {
  double max_count = 1;  // at least 1, so that an empty matrix is all white
  for (double v : m.counts) max_count = std::max(max_count, v);
  HeatGrid g{static_cast<int>(m.classes), m.counts, max_count,
             [](double v) { return std::to_string(std::llround(v)); }};
  return draw_heat_grid(g, names, title, cells);
}

cv::Mat draw_confusion_matrix_normalised(const ConfusionMatrix& m, const std::vector<std::string>& names,
                                         const std::string& title, cv::Rect* cells) {
  const int classes = static_cast<int>(m.classes);
  HeatGrid g{classes, std::vector<double>(m.counts.size(), 0.0), 1.0, [](double v) { return fixed(v, 2); }};
  for (int t = 0; t < classes; ++t) {
    const double row = m.support(t);  // a class absent from the split keeps a white row
    for (int p = 0; p < classes; ++p)
      g.values[static_cast<size_t>(t) * classes + p] = row > 0 ? m.at(t, p) / row : 0.0;
  }
  return draw_heat_grid(g, names, title, cells);
}

cv::Mat draw_roc_curves(const MetricReport& report, const std::string& title) {
  std::vector<Series> series;
  const bool binary = !report.multi_label && report.per_class.size() == 2;
  for (size_t c = 0; c < report.per_class.size(); ++c) {
    if (binary && static_cast<int>(c) != report.options.positive_class) continue;
    const ClassReport& k = report.per_class[c];
    Series s;
    s.dashed = series.size() / 10 % 2 == 1;  // the palette repeats after 10: dash the second round
    s.name = cat(k.name, " (AUC ", k.auc ? fixed(*k.auc, 3) : std::string("undefined"), ")");
    for (const RocPoint& p : k.roc) {
      s.x.push_back(p.fpr);
      s.y.push_back(p.tpr);
    }
    series.push_back(s);
  }
  Series chance{"chance", {0, 1}, {0, 1}, kGray, true, 1, false};
  series.push_back(chance);

  ChartOptions o;
  o.title = title;
  o.x_label = "false positive rate (1 - specificity)";
  o.y_label = "true positive rate (sensitivity)";
  o.width = 760;
  o.height = 720;
  // A little beyond [0, 1]: the curve's segments along FPR 0 and TPR 1 would lie under the frame.
  o.x_min = o.y_min = -0.02;
  o.x_max = o.y_max = 1.02;
  o.legend = Corner::bottom_right;
  return draw_line_chart(series, o);
}

}  // namespace softvit
