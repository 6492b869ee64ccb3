// SmoothGrad on integrated gradients (a "noise tunnel"): integrated gradients averaged over K noisy
// copies of the image (Smilkov, Thorat, Kim, Viegas & Wattenberg 2017, "SmoothGrad: removing noise
// by adding noise"; Sundararajan et al. 2017 for the integrated gradients of each copy). Works for
// every model family, as integrated gradients do: it needs nothing but the gradient with respect to
// the input.
//
// For an image x (normalised), copy k is x + sd(x) * e_k with e_k standard normal noise and
//   sd(x) = noise_level * (max x - min x),
// Smilkov et al.'s noise level (the noise's sd relative to the image's range; they found 10-20%
// best). The attribution is the mean over k of IG(x + sd(x) e_k) with the baseline 0 and `steps`
// midpoint steps each: K x steps forward and backward passes per batch. The noise images e_k come
// from a generator seeded with `seed` alone, one C x H x W image per copy shared by every image of a
// call, so an image's map depends only on the image, the model and the settings: not on its batch,
// the device or the global random state. Offered as `--explain-method smoothgrad-ig`, not the
// default (docs/explain.md, "Localisation", has the comparison on development seeds).
#pragma once
#include <torch/torch.h>

#include <cstdint>

#include "models/model.h"

namespace softvit {

struct SmoothGradSettings {
  int64_t samples = 8;        // K noisy copies
  double noise_level = 0.15;  // the noise's sd as a share of each image's range (max - min)
  int64_t steps = 8;          // integrated-gradient steps per copy
  uint64_t seed = 0;          // of the noise images
};

// K x C x H x W standard normal noise (float32, CPU) from a generator seeded with `seed`.
torch::Tensor smoothgrad_noise(int64_t samples, int64_t channels, int64_t height, int64_t width,
                               uint64_t seed);

// Each image's noise sd: noise_level * (max - min) over its pixels and channels, B x 1 x 1 x 1.
torch::Tensor smoothgrad_sd(const torch::Tensor& images, double noise_level);

// Per-pixel attributions summed over channels, B x H x W, as integrated_gradients() gives them;
// images B x C x H x W (normalised, on the model's device), classes B int64. The model's parameters
// get no gradient.
torch::Tensor smoothgrad_integrated_gradients(Model& model, const torch::Tensor& images,
                                              const torch::Tensor& classes,
                                              const SmoothGradSettings& settings = {});

}  // namespace softvit
