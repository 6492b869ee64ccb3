// Explanation heat maps of a model's decision (softvit eval/predict --explain), computed on the
// preprocessed images the model scores:
//  - integrated gradients (Sundararajan et al. 2017) of the class's logit with respect to the
//    input, 64 steps, summed per token-grid cell (integrated_gradients.h), for every model: the
//    default;
//  - SmoothGrad on integrated gradients (Smilkov et al. 2017; smoothgrad.h): the same, averaged
//    over 8 noisy copies of the image (8 steps each), for every model;
//  - Grad-CAM (Selvaraju et al. 2017) on the model's token map (Model::forward_token_map): the
//    weight of channel c is the mean over grid positions of d(logit of the class)/d(A_c), and the map
//    is ReLU(sum_c w_c A_c);
//  - gradient-weighted attention rollout (Chefer et al. 2021; gradient_rollout.h) for softmax,
//    SOFT and SOFT-Norm ViTs, through each block's explicit token-mixing operator;
//  - attention rollout (Abnar & Zuidema 2020) for softmax ViTs: per block the heads' mean
//    attention plus the identity, rows renormalised, multiplied from the first block to the last;
//    the map is the cls token's row over the patches. It does not depend on a class.
// Either map is upsampled bilinearly to the image and scaled to [0, 1] (divided by its maximum
// after subtracting its minimum; a map that is constant is all zeros: no evidence to show).
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

#include "models/model.h"

namespace softvit {

enum class ExplainMethod {
  integrated_gradients,
  smoothgrad_integrated_gradients,
  grad_cam,
  gradient_rollout,
  rollout
};

// "ig" | "smoothgrad-ig" | "gradcam" | "chefer" | "rollout"; throws ConfigError otherwise.
ExplainMethod parse_explain_method(const std::string& name);
std::string explain_method_name(ExplainMethod method);

// Grad-CAM on the grid from a forward pass with its token map: B x grid_h x grid_w, >= 0, not
// scaled. classes: B class indices (int64), the logit explained for each image.
torch::Tensor grad_cam_grid(const TokenMapForward& forward, const torch::Tensor& classes);

// Rollout on the grid: B x grid_h x grid_w, the cls row of the product over blocks.
torch::Tensor rollout_grid(const AttentionMaps& maps);

// B x h x w grid maps to B x height x width in [0, 1] (bilinear, then min-max scaled per image).
torch::Tensor to_image_maps(const torch::Tensor& grid_maps, int64_t height, int64_t width);

struct HeatMaps {
  torch::Tensor maps;  // B x H x W float32 on the CPU, in [0, 1]
  std::string layer;   // what the map is taken from
};

// Whether the method's map depends on the class explained (rollout's does not).
bool explain_method_is_class_specific(ExplainMethod method);

// Explains `classes` (B int64; ignored by rollout) for `images` (B x C x H x W, normalised, on the
// model's device). Runs in fp32 with the model in eval mode, with autograd on for the gradient
// methods only; the model's parameters get no gradient.
HeatMaps explain_images(Model& model, const torch::Tensor& images, const torch::Tensor& classes,
                        ExplainMethod method);

}  // namespace softvit
