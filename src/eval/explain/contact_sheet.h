// explain.png: every explained image of a run of softvit eval/predict --explain on one sheet, each
// tile its heat-map overlay with caption lines under it (label, prediction and probability, group),
// one colour bar for all, and a title.
#pragma once
#include <opencv2/core.hpp>

#include <string>
#include <vector>

namespace softvit {

struct SheetTile {
  cv::Mat overlay;                   // BGR, any size; drawn at the sheet's tile size
  std::vector<std::string> caption;  // short lines; the tile is about 20 characters wide
};

cv::Mat draw_contact_sheet(const std::vector<SheetTile>& tiles, const std::string& title, int columns = 6,
                           int tile_side = 160);

}  // namespace softvit
