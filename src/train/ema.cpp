#include "train/ema.h"

namespace softvit {

ModelEma::ModelEma(ModelPtr shadow, const torch::nn::Module& model, double decay)
    : shadow_(std::move(shadow)), decay_(decay) {
  torch::NoGradGuard no_grad;
  auto target = shadow_->parameters();
  auto source = model.parameters();
  TORCH_CHECK(target.size() == source.size(), "EMA model differs from the model");
  for (size_t i = 0; i < target.size(); ++i) {
    target[i].copy_(source[i]);
    target[i].set_requires_grad(false);
  }
  auto target_buffers = shadow_->buffers();
  auto source_buffers = model.buffers();
  for (size_t i = 0; i < target_buffers.size(); ++i) target_buffers[i].copy_(source_buffers[i]);
  shadow_->eval();
}

void ModelEma::update(const torch::nn::Module& model) {
  torch::NoGradGuard no_grad;
  auto target = shadow_->parameters();
  auto source = model.parameters();
  std::vector<torch::Tensor> ema(target.begin(), target.end()), weights(source.begin(), source.end());
  torch::_foreach_lerp_(ema, weights, 1.0 - decay_);  // ema += (1 - decay) * (w - ema)
  auto target_buffers = shadow_->buffers();
  auto source_buffers = model.buffers();
  for (size_t i = 0; i < target_buffers.size(); ++i) target_buffers[i].copy_(source_buffers[i]);
}

}  // namespace softvit
