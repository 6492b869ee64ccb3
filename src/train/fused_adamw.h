// AdamW whose update is PyTorch's fused multi-tensor kernel (_fused_adamw_, CPU and CUDA): one
// launch per parameter group instead of about ten per parameter. It keeps torch::optim::AdamW's
// options and per-parameter state, so checkpoints are interchangeable with the plain one.
#pragma once
#include <torch/torch.h>

#include <unordered_map>
#include <vector>

namespace softvit {

class FusedAdamW : public torch::optim::AdamW {
 public:
  using torch::optim::AdamW::AdamW;
  torch::Tensor step(LossClosure closure = nullptr) override;

  // For CUDA graphs: the same update, reading the learning rate of group g from group_lr[g] (a
  // 0-dim float32 tensor on the parameters' device) when the kernel runs, so that a captured step
  // follows the schedule when those tensors are filled before each replay. The kernel takes the
  // step count from device counters; with count_on_host false the host counts
  // (AdamWParamState::step) are left alone: a replayed graph adds them with count_replayed_step().
  void step_with_lr_tensors(const std::vector<torch::Tensor>& group_lr, bool count_on_host);
  // Host bookkeeping of one step done by a graph replay: +1 on every parameter's step count.
  void count_replayed_step();
  // Rewrites the device step counters from the host counts (after state was restored in place).
  void reset_step_counters();

 private:
  struct GroupTensors {
    std::vector<torch::Tensor> params, grads, exp_avgs, exp_avg_sqs, steps;
  };
  // The parameters of `group` that have a gradient and their state (created when missing); host
  // step counts advance by one when count_on_host.
  GroupTensors collect(torch::optim::OptimizerParamGroup& group, bool count_on_host);

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
