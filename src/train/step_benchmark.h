// Times training or inference steps of a model on synthetic data already on the device: warm-up,
// then many steps between two device events; reports img/s, ms per step and peak memory.
#pragma once
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
  int64_t profile_steps = 0;   // > 0: then profile this many steps (see step_profiler.h)
  std::string profile_trace;   // Chrome trace of the profiled steps; empty: none
};

struct StepBenchmarkResult {
  double ms_per_step = 0;
  double img_s = 0;
  double peak_gib = 0;  // CUDA: allocator peak during the timed steps; CPU: process peak RSS
  int64_t steps = 0;
  bool out_of_memory = false;
  std::string profile;  // the profiler's kernel table when profile_steps > 0
};

StepBenchmarkResult benchmark_steps(Model& model, const StepBenchmarkOptions& options);

}  // namespace softvit
