// Exponential moving average of a model's weights (timm's ModelEmaV2): after each optimizer
// step, ema = decay * ema + (1 - decay) * weights; buffers are copied.
#pragma once
#include <torch/torch.h>

#include "models/model.h"

namespace softvit {

class ModelEma {
 public:
  // `shadow` is a second instance of the same architecture; it starts as a copy of `model`.
  ModelEma(ModelPtr shadow, const torch::nn::Module& model, double decay);
  void update(const torch::nn::Module& model);
  Model& model() { return *shadow_; }
  double decay() const { return decay_; }

 private:
  ModelPtr shadow_;
  double decay_;
};

}  // namespace softvit
