#include "data/transforms/mixup.h"

#include <cmath>

namespace softvit {

MixPlan plan_mix(const MixupOptions& o, int height, int width, Rng& rng) {
  MixPlan plan;
  if (!o.enabled() || !(rng.uniform() < o.prob)) return plan;
  if (o.mixup_alpha > 0 && o.cutmix_alpha > 0) {
    plan.cutmix = rng.uniform() < o.switch_prob;
    plan.lambda =
        plan.cutmix ? rng.beta(o.cutmix_alpha, o.cutmix_alpha) : rng.beta(o.mixup_alpha, o.mixup_alpha);
  } else if (o.mixup_alpha > 0) {
    plan.lambda = rng.beta(o.mixup_alpha, o.mixup_alpha);
  } else {
    plan.cutmix = true;
    plan.lambda = rng.beta(o.cutmix_alpha, o.cutmix_alpha);
  }
  if (plan.cutmix) {
    const double ratio = std::sqrt(1.0 - plan.lambda);
    const int cut_h = static_cast<int>(height * ratio), cut_w = static_cast<int>(width * ratio);
    const int cy = static_cast<int>(rng.below(height)), cx = static_cast<int>(rng.below(width));
    plan.top = std::clamp(cy - cut_h / 2, 0, height);
    plan.bottom = std::clamp(cy + cut_h / 2, 0, height);
    plan.left = std::clamp(cx - cut_w / 2, 0, width);
    plan.right = std::clamp(cx + cut_w / 2, 0, width);
    const double box = static_cast<double>(plan.bottom - plan.top) * (plan.right - plan.left);
    plan.lambda = 1.0 - box / (static_cast<double>(height) * width);
  }
  return plan;
}

void apply_mix(torch::Tensor& images, const MixPlan& plan) {
  if (plan.lambda == 1.0) return;
  if (plan.cutmix) {
    auto flipped = images.flip(0);
    images.slice(2, plan.top, plan.bottom)
        .slice(3, plan.left, plan.right)
        .copy_(flipped.slice(2, plan.top, plan.bottom).slice(3, plan.left, plan.right));
  } else {
    const auto flipped = images.flip(0);  // a copy, taken before images change
    images.mul_(plan.lambda).add_(flipped, 1.0 - plan.lambda);
  }
}

torch::Tensor mix_targets(const torch::Tensor& labels, const MixupOptions& o, const MixPlan& plan) {
  torch::Tensor y;
  if (labels.dim() == 2) {
    y = labels.to(torch::kFloat32);
  } else {
    const double off = o.label_smoothing / static_cast<double>(o.classes), on = 1.0 - o.label_smoothing + off;
    y = torch::full({labels.size(0), o.classes}, off, labels.options().dtype(torch::kFloat32));
    y.scatter_(1, labels.unsqueeze(1), on);
  }
  return y.mul(plan.lambda).add_(y.flip(0), 1.0 - plan.lambda);
}

}  // namespace softvit
