// Integrated gradients (Sundararajan, Taly & Yan 2017, "Axiomatic Attribution for Deep Networks")
// pooled per patch: an explanation that needs nothing of a model but its gradient with respect to
// the input, so it works for every family (softmax, SOFT, SOFT-Norm, sequence-normalised and SimA
// ViTs, and the pyramids) and does not depend on the sign convention of any hidden layer.
//
// For an image x (normalised), a baseline x' = 0 (the normalisation's mean colour: no contrast
// anywhere) and the logit y of the class explained, pixel i of channel k gets
//   IG_ki = (x_ki - x'_ki) * integral_0^1 dy/dx_ki (x' + a (x - x')) da,
// the integral by the midpoint rule over `steps` points a_s = (s + 1/2) / steps. Completeness: the
// attributions sum to y(x) - y(x') up to the rule's error. A patch's relevance is the sum over its
// pixels and channels (signed: positive is evidence for the class), and the map keeps the positive
// part, as Grad-CAM does.
//
// 64 steps by default (16 until 2026-12-07), inside the 20-300 that Sundararajan et al. find enough
// for the integral; chosen on the localisation test's development seeds (docs/explain.md,
// "Localisation"). Cost: 64 forward and backward passes per batch.
#pragma once
#include <torch/torch.h>

#include "models/model.h"

namespace softvit {

constexpr int64_t kIntegratedGradientSteps = 64;

// Per-pixel attributions, summed over channels: B x H x W. images: B x C x H x W (normalised, on
// the model's device); classes: B int64. The model's parameters get no gradient.
torch::Tensor integrated_gradients(Model& model, const torch::Tensor& images, const torch::Tensor& classes,
                                   int64_t steps = kIntegratedGradientSteps);

// Sums B x H x W attributions over cell x cell patches (a partial patch at the right or bottom
// edge sums what it has) and keeps the positive part: B x ceil(H / cell) x ceil(W / cell).
torch::Tensor patch_relevance(const torch::Tensor& attributions, int64_t cell);

}  // namespace softvit
