#include "train/train_step.h"

#include "core/error.h"
#include "models/channels_last.h"
#include "train/autocast.h"
#include "train/grad_clip.h"
#include "train/optimizer.h"

namespace softvit {

namespace step_ops {

torch::Tensor device_images(const StepParts& parts, const torch::Tensor& images) {
  auto x = images.to(parts.device, /*non_blocking=*/true);
  return parts.channels_last ? channels_last_input(x) : x;
}

void zero_gradients_in_place(torch::nn::Module& model) {
  std::vector<torch::Tensor> grads;
  for (auto& p : model.parameters())
    if (p.grad().defined()) grads.push_back(p.grad());
  if (!grads.empty()) torch::_foreach_zero_(grads);
}

torch::Tensor forward_loss(const StepParts& parts, const torch::Tensor& images, const torch::Tensor& labels,
                           const torch::Tensor& targets, bool autocast_cache) {
  AutocastScope autocast(parts.device, parts.bf16, autocast_cache);
  return classification_loss(parts.model->forward(images), labels, targets, parts.loss);
}

void clip_gradients(const StepParts& parts) {
  if (parts.clip_grad > 0) clip_grad_norm_async(parts.model->parameters(), parts.clip_grad);
}

void update_ema(const StepParts& parts) {
  if (parts.ema) parts.ema->update(*parts.model);
}

}  // namespace step_ops

namespace {

StepParts checked(StepParts parts) {
  if (!parts.model || !parts.optimizer)
    throw TrainError("training step: the model and the optimizer are required");
  if (parts.accum_steps < 1) throw ConfigError("train.accum_steps must be at least 1");
  // Once, here: a CPU tensor would be copied to the device (and waited for) at every step.
  if (parts.loss.class_weights.defined())
    parts.loss.class_weights = parts.loss.class_weights.to(parts.device);
  return parts;
}

}  // namespace

EagerTrainStep::EagerTrainStep(StepParts parts, bool keep_gradients)
    : parts_(checked(std::move(parts))), keep_gradients_(keep_gradients) {}

torch::Tensor EagerTrainStep::run(const Batch& batch, double lr) {
  const int64_t accum = parts_.accum_steps;
  if (micro_ == 0) {
    set_learning_rate(*parts_.optimizer, lr);
    if (keep_gradients_)
      step_ops::zero_gradients_in_place(*parts_.model);
    else
      parts_.optimizer->zero_grad();
  }
  const auto images = step_ops::device_images(parts_, batch.images);
  const auto labels = batch.labels.to(parts_.device, /*non_blocking=*/true);
  const auto targets = batch.targets.defined() ? batch.targets.to(parts_.device, true) : torch::Tensor();
  if (parts_.before_forward) parts_.before_forward();
  const auto loss = step_ops::forward_loss(parts_, images, labels, targets);
  const auto scaled = accum > 1 ? loss / accum : loss;
  if (parts_.backward)
    parts_.backward(scaled, /*last_micro=*/micro_ + 1 == accum);
  else
    scaled.backward();
  if (++micro_ < accum) return loss.detach();
  micro_ = 0;
  if (parts_.after_backward) parts_.after_backward();
  step_ops::clip_gradients(parts_);
  parts_.optimizer->step();
  step_ops::update_ema(parts_);
  return loss.detach();
}

}  // namespace softvit
