#include "eval/explain/contact_sheet.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>

#include "eval/explain/render.h"
#include "eval/plot_canvas.h"

namespace softvit {
namespace {

constexpr double kCaptionScale = 0.4, kTitleScale = 0.6;
constexpr int kGap = 12;

// `text` cut to `width` pixels, with ".." where it was cut, so captions never run into the next tile.
std::string fit(std::string text, int width) {
  if (plot::text_size(text, kCaptionScale).width <= width) return text;
  while (!text.empty() && plot::text_size(text + "..", kCaptionScale).width > width) text.pop_back();
  return text + "..";
}

}  // namespace

cv::Mat draw_contact_sheet(const std::vector<SheetTile>& tiles, const std::string& title, int columns,
                           int tile_side) {
  const int n = static_cast<int>(tiles.size());
  columns = std::max(1, std::min(columns, std::max(n, 1)));
  const int rows = std::max(1, (n + columns - 1) / columns);
  size_t caption_lines = 0;
  for (const auto& t : tiles) caption_lines = std::max(caption_lines, t.caption.size());
  const int line_h = plot::text_size("Ag", kCaptionScale).height + 6;
  const int cell_w = tile_side + kGap,
            cell_h = tile_side + 6 + line_h * static_cast<int>(caption_lines) + kGap;
  const cv::Size title_box = plot::title_size(title, kTitleScale);
  const int top = kGap + title_box.height + kGap;
  const cv::Mat bar = draw_colour_bar(std::min(tile_side * rows, 2 * tile_side));
  const int width = std::max(kGap + columns * cell_w + bar.cols + kGap, title_box.width + 2 * kGap);
  cv::Mat sheet(top + rows * cell_h, width, CV_8UC3, plot::kWhite);
  plot::draw_title(sheet, title, width / 2, kGap, kTitleScale);
  for (int i = 0; i < n; ++i) {
    const int x = kGap + (i % columns) * cell_w, y = top + (i / columns) * cell_h;
    const cv::Mat& overlay = tiles[i].overlay;
    const double scale = static_cast<double>(tile_side) / std::max(overlay.rows, overlay.cols);
    cv::Mat shown;
    cv::resize(overlay, shown, {}, scale, scale, scale < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
    shown.copyTo(sheet(cv::Rect(x, y, shown.cols, shown.rows)));
    for (size_t k = 0; k < tiles[i].caption.size(); ++k)
      plot::draw_text(sheet, fit(tiles[i].caption[k], tile_side),
                      {x, y + tile_side + 6 + line_h * static_cast<int>(k)}, plot::Align::start,
                      plot::Align::start, kCaptionScale);
  }
  bar.copyTo(sheet(cv::Rect(kGap + columns * cell_w, top, bar.cols, bar.rows)));
  return sheet;
}

}  // namespace softvit
