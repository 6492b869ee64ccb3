// AdamW whose update is PyTorch's fused multi-tensor kernel (_fused_adamw_, CPU and CUDA): one
// launch per parameter group instead of about ten per parameter. It keeps torch::optim::AdamW's
// options and per-parameter state, so checkpoints are interchangeable with the plain one.
#pragma once
#include <torch/torch.h>

#include <unordered_map>

namespace softvit {

class FusedAdamW : public torch::optim::AdamW {
 public:
  using torch::optim::AdamW::AdamW;
  torch::Tensor step(LossClosure closure = nullptr) override;

 private:
  // The fused kernel wants the step count as a tensor on the parameter's device. It is kept
  // beside AdamWParamState::step with the host value it was made for, so that state loaded from a
  // checkpoint is noticed without reading the tensor back (which would wait for the device).
  struct StepCounter {
    torch::Tensor tensor;
    int64_t value = -1;
  };
  std::unordered_map<void*, StepCounter> steps_;
};

}  // namespace softvit
