// What every backbone is to the rest of softvit: images in, logits out, plus its name and input.
#pragma once
#include <torch/torch.h>

#include <string>

namespace softvit {

struct Model : torch::nn::Module {
  // images: B x C x H x W, normalised float. Returns B x num_classes logits.
  virtual torch::Tensor forward(torch::Tensor images) = 0;
  virtual std::string name() const = 0;
  virtual int64_t num_classes() const = 0;
};

using ModelPtr = std::shared_ptr<Model>;

// Number of trainable scalars.
int64_t count_parameters(const torch::nn::Module& module);

}  // namespace softvit
