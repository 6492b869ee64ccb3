// Times training or inference steps of a model on synthetic data already on the device: warm-up,
// then many steps between two device events; reports img/s, ms per step and peak memory.
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
  bool channels_last = false;
  int64_t warmup_steps = 10;
  int64_t steps = 50;
  std::string device = "cpu";
  // Data-parallel runs: called before each training forward and backward (gradient all-reduce).
  std::function<void()> before_forward;
  std::function<void(const torch::Tensor& loss)> before_backward;
};

struct StepBenchmarkResult {
  double ms_per_step = 0;
  double img_s = 0;
  double peak_gib = 0;  // CUDA: allocator peak during the timed steps; CPU: process peak RSS
  int64_t steps = 0;
  bool out_of_memory = false;
};

StepBenchmarkResult benchmark_steps(Model& model, const StepBenchmarkOptions& options);

}  // namespace softvit
