#include "train/losses.h"

#include "core/error.h"
#include "core/strings.h"

namespace softvit {
namespace {

// PyTorch's cross_entropy(weight=w, label_smoothing=eps), mean reduction, for labels without an
// ignore index: [(1 - eps) sum_i w_yi nll_i + eps / C sum_i sum_c w_c (-log p_ic)] / sum_i w_yi.
// PyTorch builds the denominator with masked_select, whose data-dependent size makes the host wait
// for the device at every step (and cannot be captured in a CUDA graph); gather does not.
torch::Tensor smoothed_weighted_cross_entropy(const torch::Tensor& logits, const torch::Tensor& labels,
                                              const torch::Tensor& weights, double eps) {
  const auto log_p = torch::log_softmax(logits, 1);
  const auto index = labels.unsqueeze(1);
  const auto sample_weight = weights.index_select(0, labels);  // w_yi
  const auto nll = -(log_p.gather(1, index).squeeze(1) * sample_weight).sum();
  const auto smooth = -(log_p * weights).sum();
  const auto classes = static_cast<double>(logits.size(1));
  return ((1.0 - eps) * nll + eps / classes * smooth) / sample_weight.sum();
}

}  // namespace

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
  if (weights.defined() && o.label_smoothing > 0)
    return smoothed_weighted_cross_entropy(logits, labels, weights, o.label_smoothing);
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
