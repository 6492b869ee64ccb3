// The training step captured once as a CUDA graph and replayed: forward, loss, backward, clipping,
// the fused AdamW update and the EMA are one graph launch per step instead of a few thousand
// kernel launches, which is what small batches are bound by.
//
// How: static input buffers on the device that each step copies its batch into (asynchronously);
// the learning rate in a device tensor filled before each replay; gradients kept allocated and
// zeroed inside the graph; warm-up steps on a side stream first (lazy initialisation, cuBLAS and
// cuDNN workspaces, optimizer state), after which the model, optimizer, EMA and CUDA RNG state are
// put back, so the warm-up leaves no trace in training; then the capture into the graph's own
// memory pool, with autocast's weight-cast cache off. RNG ops (dropout, drop-path) draw from the
// default CUDA generator, whose Philox offsets CUDAGraph advances at each replay.
//
// Falls back to EagerTrainStep, saying why in the log, when the step cannot be graphed: not CUDA,
// accum_steps > 1, an optimizer other than the fused AdamW, a gradient hook after backward
// (StepParts::after_backward, distributed training), a build without CUDA graphs. A batch
// whose shapes differ from the captured ones (a last partial batch) runs eagerly on its own; later
// batches of the captured shapes replay the graph again. A capture that fails (an op in the step
// that waits for the host) is a TrainError naming the op's error, not a silent fallback: CUDA's
// RNG state is left mid-capture by it.
//
// The graph holds the addresses of the parameters, gradients, buffers, EMA and optimizer state:
// before each replay they are compared with those at capture, and when any was replaced (optimizer
// state loaded from a checkpoint, gradients set to none by optimizer.zero_grad()) the step is
// captured again. Values may change freely in place (weights loaded with copy_).
#pragma once
#include <memory>
#include <string>

#include "train/train_step.h"

namespace softvit {

class GraphedTrainStep : public TrainStep {
 public:
  explicit GraphedTrainStep(StepParts parts, int warmup_steps = 3);
  ~GraphedTrainStep() override;
  torch::Tensor run(const Batch& batch, double lr) override;
  // "cuda_graph" while the graph is (or will be, at the first run) in use; "eager" after a fallback.
  std::string kind() const override;
  // Why the steps run eagerly; empty while graphed.
  const std::string& fallback_reason() const { return fallback_reason_; }
  int64_t replays() const { return replays_; }
  int64_t eager_steps() const { return eager_steps_; }
  int64_t captures() const { return captures_; }

 private:
  struct Graph;  // CUDA-only state: the graph and its static tensors
  void fall_back(const std::string& reason);
  void capture(const Batch& batch);
  torch::Tensor replay(const Batch& batch, double lr);
  bool fits(const Batch& batch) const;
  bool still_valid() const;  // the tensors the graph uses are where they were at capture

  int warmup_steps_;
  EagerTrainStep eager_;  // keeps gradients in place: the graph holds their addresses
  std::unique_ptr<Graph> graph_;
  std::string fallback_reason_;
  bool warned_shape_ = false;
  int64_t replays_ = 0, eager_steps_ = 0, captures_ = 0;
};

// A GraphedTrainStep when `cuda_graph` (it may still fall back), else an EagerTrainStep.
std::unique_ptr<TrainStep> make_train_step(const StepParts& parts, bool cuda_graph);

}  // namespace softvit
