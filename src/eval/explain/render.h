// Drawing explanation heat maps (OpenCV core and imgproc only, which the GPU machine's OpenCV
// has): the model's input image de-normalised, the map in the turbo colour map blended over it, a
// colour bar from 0 (no evidence) to 1 (the map's maximum), and captions.
#pragma once
#include <torch/torch.h>

#include <opencv2/core.hpp>

#include <string>
#include <vector>

namespace softvit {

// The side small images are enlarged to (integer factor, nearest neighbour, so that pixels stay
// pixels): a 28 px image is shown at 224 px.
constexpr int kExplainDisplaySide = 224;

// A normalised C x H x W image (C = 1 or 3, RGB) back to BGR uint8 pixels: x * std + mean, with the
// loader's per-channel mean and std (one value or C), clamped to [0, 1].
cv::Mat to_display_image(const torch::Tensor& image, const std::vector<double>& mean,
                         const std::vector<double>& std);

// `map` (H x W float32 in [0, 1], the image's size) over `image` (BGR uint8), enlarged to `side`
// pixels on its longer edge when smaller; alpha is the map's share of each pixel's colour.
cv::Mat overlay_heat_map(const cv::Mat& image, const torch::Tensor& map, int side = kExplainDisplaySide,
                         double alpha = 0.45);

// A vertical colour bar `height` px tall with ticks 0 (bottom) and 1 (top) and a caption.
cv::Mat draw_colour_bar(int height, const std::string& caption = "evidence");

// One explanation as a figure: `title` lines above the overlay, the colour bar at its right.
cv::Mat draw_explanation(const cv::Mat& overlay, const std::vector<std::string>& title);

}  // namespace softvit
