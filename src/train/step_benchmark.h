// Times training or inference steps of a model on synthetic data already on the device: warm-up,
// then many steps between two device events; reports img/s, ms per step and peak memory. Training
// steps are the trainer's own (train_step.h): cross-entropy, AdamW, optionally a CUDA graph.
#pragma once
#include <functional>
#include <string>

#include "models/model.h"

namespace softvit {

struct StepBenchmarkOptions {
  std::string mode = "train";  // train | infer
  int64_t batch_size = 128;
  int64_t img_size = 224;
  int64_t in_chans = 3;
  bool bf16 = false;           // autocast on CUDA
  bool channels_last = false;  // conv weights and input images in channels-last layout
  bool cuda_graph = false;     // train: replay the step as a CUDA graph (GraphedTrainStep)
  int64_t warmup_steps = 10;
  int64_t steps = 50;
  std::string device = "cpu";
  int64_t profile_steps = 0;  // > 0: then profile this many steps (see step_profiler.h)
  std::string profile_trace;  // Chrome trace of the profiled steps; empty: none
  // Data-parallel runs: called before each training forward and backward (gradient all-reduce).
  std::function<void()> before_forward;
  std::function<void(const torch::Tensor& loss)> before_backward;
};

struct StepBenchmarkResult {
  double ms_per_step = 0;
  double img_s = 0;
  double peak_gib = 0;  // CUDA: allocator peak over warm-up and timed steps; CPU: 0
  int64_t steps = 0;
  bool out_of_memory = false;
  std::string profile;    // the profiler's kernel table when profile_steps > 0
  std::string step_kind;  // train: how the steps ran, "eager" or "cuda_graph"
};

StepBenchmarkResult benchmark_steps(Model& model, const StepBenchmarkOptions& options);

}  // namespace softvit
