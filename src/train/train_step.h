// One training step as an object, so that the trainer and the step benchmark share one definition
// and can swap the eager step for a CUDA-graph replay (graphed_step.h). A step: zero the
// gradients, forward under autocast, loss, backward, clip by global norm, optimizer step, EMA.
// Nothing in it waits for the device: the loss comes back as a device tensor.
#pragma once
#include <torch/torch.h>

#include <functional>
#include <string>

#include "data/batch.h"
#include "models/model.h"
#include "train/ema.h"
#include "train/losses.h"

namespace softvit {

// What a step works on. The step holds pointers: the model, optimizer and EMA must outlive it.
struct StepParts {
  Model* model = nullptr;
  torch::optim::Optimizer* optimizer = nullptr;
  ModelEma* ema = nullptr;  // optional
  LossOptions loss;         // class weights are moved to `device` once, when the step is made
  double clip_grad = 0.0;   // global L2 norm of the gradients; 0: off
  torch::Device device = torch::kCPU;
  bool bf16 = false;           // autocast to bf16 on CUDA
  bool channels_last = false;  // 4-D input batches in channels-last layout
  int accum_steps = 1;         // micro-batches per optimizer step
  // Called once per optimizer step, after the last backward and before clipping: e.g. averaging the
  // gradients across processes. A step with this hook is not graphed (GraphedTrainStep falls back).
  std::function<void()> after_backward;
  // Distributed training (dist/data_parallel.h): called before each forward, and in place of
  // loss.backward() with whether this is the accumulation's last micro-step (the one whose
  // backward all-reduces the gradients). A step with these is not graphed either.
  std::function<void()> before_forward;
  std::function<void(const torch::Tensor& loss, bool last_micro)> backward;
};

class TrainStep {
 public:
  virtual ~TrainStep() = default;
  // One micro-batch at learning rate `lr` (any device; pinned CPU memory copies asynchronously).
  // The first of every accum_steps calls zeroes the gradients, the last clips, steps the optimizer
  // and updates the EMA. Returns the micro-batch's mean loss: a 0-dim float32 tensor on the
  // device that is the caller's to keep (no host synchronisation).
  virtual torch::Tensor run(const Batch& batch, double lr) = 0;
  // "eager" or "cuda_graph": how the steps run now.
  virtual std::string kind() const = 0;
};

// The step as plain LibTorch calls. With keep_gradients the gradients are zeroed in place rather
// than released (a CUDA graph holds their addresses); otherwise zero_grad() sets them to none.
class EagerTrainStep : public TrainStep {
 public:
  explicit EagerTrainStep(StepParts parts, bool keep_gradients = false);
  torch::Tensor run(const Batch& batch, double lr) override;
  std::string kind() const override { return "eager"; }
  const StepParts& parts() const { return parts_; }

 private:
  StepParts parts_;
  bool keep_gradients_;
  int64_t micro_ = 0;  // micro-batches done in the current accumulation
};

// The pieces both steps are made of.
namespace step_ops {
// Inputs on the device (and channels-last when asked).
torch::Tensor device_images(const StepParts& parts, const torch::Tensor& images);
// Gradients of every parameter that has one, zeroed in place (one multi-tensor launch).
void zero_gradients_in_place(torch::nn::Module& model);
// Forward under autocast and the loss; `autocast_cache` off while capturing a CUDA graph.
torch::Tensor forward_loss(const StepParts& parts, const torch::Tensor& images, const torch::Tensor& labels,
                           const torch::Tensor& targets, bool autocast_cache = true);
// After backward: clip, then (for the optimizer step itself see the callers) EMA.
void clip_gradients(const StepParts& parts);
void update_ema(const StepParts& parts);
}  // namespace step_ops

}  // namespace softvit
