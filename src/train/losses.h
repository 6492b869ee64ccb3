// Classification losses: cross-entropy with label smoothing and class weights for hard labels,
// soft-target cross-entropy for Mixup/CutMix targets, binary cross-entropy for multi-label.
#pragma once
#include <torch/torch.h>

#include <string>

namespace softvit {

struct LossOptions {
  std::string kind = "ce";       // ce | bce
  double label_smoothing = 0.0;  // ce with hard labels only; soft targets carry their own
  torch::Tensor class_weights;   // undefined or float [classes]
};

// labels: int64 [B] class indices (ce) or float [B, classes] 0/1 (bce);
// targets: optional float [B, classes] soft targets (ce) that replace labels when defined.
torch::Tensor classification_loss(const torch::Tensor& logits, const torch::Tensor& labels,
                                  const torch::Tensor& targets, const LossOptions& options);

// Inverse-frequency weights normalised to mean 1: w_c = n / (classes * count_c).
torch::Tensor inverse_frequency_weights(const torch::Tensor& labels, int64_t classes);

}  // namespace softvit
