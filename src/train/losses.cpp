#include "train/losses.h"

#include "core/error.h"
#include "core/strings.h"

namespace softvit {

torch::Tensor classification_loss(const torch::Tensor& logits_in, const torch::Tensor& labels,
                                  const torch::Tensor& targets, const LossOptions& o) {
  const auto logits = logits_in.to(torch::kFloat32);  // the loss is always taken in fp32
  const auto weights = o.class_weights.defined() ? o.class_weights.to(logits.device()) : torch::Tensor();
  if (o.kind == "bce") {
    const auto y = (targets.defined() ? targets : labels).to(logits.dtype());
    auto options = torch::nn::functional::BinaryCrossEntropyWithLogitsFuncOptions();
    if (weights.defined()) options.pos_weight(weights);
    return torch::nn::functional::binary_cross_entropy_with_logits(logits, y, options);
  }
  if (targets.defined()) {
    auto per_class = -targets * torch::log_softmax(logits, 1);
    if (weights.defined()) per_class = per_class * weights;
    return per_class.sum(1).mean();
  }
  auto options = torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(o.label_smoothing);
  if (weights.defined()) options.weight(weights);
  return torch::nn::functional::cross_entropy(logits, labels, options);
}

torch::Tensor inverse_frequency_weights(const torch::Tensor& labels, int64_t classes) {
  const auto counts = torch::bincount(labels.to(torch::kInt64), {}, classes).to(torch::kFloat32);
  if ((counts == 0).any().item<bool>())
    throw DataError("train.class_weighting inverse_frequency: a class has no training samples");
  return counts.sum() / (classes * counts);
}

}  // namespace softvit
