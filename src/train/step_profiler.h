// Where the time of a step goes: runs a step function under the Kineto profiler (the engine behind
// torch.profiler) and summarises device kernels by total time, with the operator that launched
// each. For finding what to fuse; `softvit bench train --profile FILE` is the way in.
#pragma once
#include <functional>
#include <string>

#include <torch/torch.h>

namespace softvit {

struct StepProfile {
  std::string table;          // the kernels taking the most device time, one per line
  double wall_ms = 0;         // wall time of the profiled steps
  double device_busy_ms = 0;  // sum of kernel durations (memcpy/memset included)
};

// Runs `step` `steps` times under the profiler (CPU ops, and CUDA kernels on a GPU), writes a
// Chrome trace to `trace_path` (viewable in Perfetto / chrome://tracing) unless it is empty, and
// returns the top `top` kernels.
StepProfile profile_steps(const torch::Device& device, int64_t steps, const std::function<void()>& step,
                          const std::string& trace_path, int top = 30);

}  // namespace softvit
