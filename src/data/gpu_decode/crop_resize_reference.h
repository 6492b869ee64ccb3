// The reference of the GPU decode path's crop-resize-flip-normalise kernel
// (kernels/crop_resize.h): ATen ops per image, on any device. Also what the path runs where the
// kernel is not built.
#pragma once
#include <torch/torch.h>

#include <array>
#include <vector>

#include "kernels/crop_resize.h"

namespace softvit {

// images: H x W x 3 uint8; returns B x 3 x out_h x out_w of dtype: each box resized by
// torch::nn::functional::interpolate (align_corners false), rounded to a uint8 level, mirrored
// where the job says, then (v - mean255) / std255.
torch::Tensor crop_resize_normalise_reference(const std::vector<torch::Tensor>& images,
                                              const std::vector<kernels::CropJob>& jobs, int64_t out_h,
                                              int64_t out_w, const std::array<float, 3>& mean255,
                                              const std::array<float, 3>& std255, torch::ScalarType dtype);

}  // namespace softvit
