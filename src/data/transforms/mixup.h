// timm's Mixup / CutMix, per batch: with probability `prob`, lambda ~ Beta(alpha, alpha) and
// the batch is blended with its reverse (mixup) or has a box pasted from it (cutmix, chosen with
// `switch_prob` when both are on; lambda then becomes 1 - box area / image area). Targets are
// label-smoothed one-hot vectors mixed with the same lambda, so each row sums to 1.
#pragma once
#include <torch/torch.h>

#include "data/rng.h"

namespace softvit {

struct MixupOptions {
  double mixup_alpha = 0.0, cutmix_alpha = 0.0;
  double prob = 1.0, switch_prob = 0.5;
  double label_smoothing = 0.1;
  int64_t classes = 0;
  bool enabled() const { return mixup_alpha > 0 || cutmix_alpha > 0; }
};

struct MixPlan {
  double lambda = 1.0;  // weight of the batch itself; 1: not mixed
  bool cutmix = false;
  int top = 0, bottom = 0, left = 0, right = 0;  // cutmix box: rows [top, bottom), columns [left, right)
};

// Draws the batch's parameters (timm's _params_per_batch, rand_bbox, lambda correction).
MixPlan plan_mix(const MixupOptions& options, int height, int width, Rng& rng);

// Mixes `images` (float, B x C x H x W) in place with images.flip(0).
void apply_mix(torch::Tensor& images, const MixPlan& plan);

// Label-smoothed targets (B x classes, float) mixed with the flipped batch's: labels are class
// indices (B) or 0/1 rows (B x classes, multi-label: no smoothing).
torch::Tensor mix_targets(const torch::Tensor& labels, const MixupOptions& options, const MixPlan& plan);

}  // namespace softvit
