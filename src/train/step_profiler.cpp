#include "train/step_profiler.h"

#include <torch/csrc/autograd/profiler_kineto.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <unordered_map>

namespace softvit {
namespace {

namespace prof = torch::autograd::profiler;
using torch::profiler::impl::ActivityType;
using torch::profiler::impl::ProfilerConfig;
using torch::profiler::impl::ProfilerState;

struct KernelTotal {
  double us = 0;
  int64_t calls = 0;
  std::string op;  // the innermost CPU operator that launched it (first seen)
};

std::string shorten(std::string name, size_t width) {
  if (name.size() > width) name = name.substr(0, width - 3) + "...";
  return name;
}

}  // namespace

StepProfile profile_steps(const torch::Device& device, int64_t steps, const std::function<void()>& step,
                          const std::string& trace_path, int top) {
  std::set<ActivityType> activities{ActivityType::CPU};
  if (device.is_cuda()) activities.insert(ActivityType::CUDA);
  // Input shapes and dtypes go into the trace: they tell which call of an operator launched a kernel.
  const ProfilerConfig config(ProfilerState::KINETO, /*report_input_shapes=*/true);
  prof::prepareProfiler(config, activities);
  prof::enableProfiler(config, activities);
  const auto start = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < steps; ++i) step();
  if (device.is_cuda()) torch::cuda::synchronize();
  const double wall_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  auto result = prof::disableProfiler();
  if (!trace_path.empty()) result->save(trace_path);

  // Kernels link to the CPU operator that launched them through the correlation id.
  std::unordered_map<uint64_t, std::string> op_of_correlation;
  for (const auto& e : result->events())
    if (e.deviceType() == c10::DeviceType::CPU && e.correlationId() != 0)
      op_of_correlation[e.correlationId()] = e.name();
  std::map<std::string, KernelTotal> kernels;
  StepProfile profile;
  profile.wall_ms = wall_ms;
  for (const auto& e : result->events()) {
    if (e.deviceType() != c10::DeviceType::CUDA) continue;
    auto& k = kernels[e.name()];
    k.us += static_cast<double>(e.durationNs()) / 1000.0;
    ++k.calls;
    if (k.op.empty()) {
      const auto op = op_of_correlation.find(e.linkedCorrelationId());
      if (op != op_of_correlation.end()) k.op = op->second;
    }
    profile.device_busy_ms += static_cast<double>(e.durationNs()) / 1e6;
  }
  std::vector<std::pair<std::string, KernelTotal>> sorted(kernels.begin(), kernels.end());
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.second.us > b.second.us; });

  char line[512];
  std::snprintf(line, sizeof line, "%d steps: wall %.2f ms/step, kernels %.2f ms/step (device busy %.0f%%)\n",
                static_cast<int>(steps), wall_ms / steps, profile.device_busy_ms / steps,
                100.0 * profile.device_busy_ms / std::max(wall_ms, 1e-9));
  profile.table = line;
  std::snprintf(line, sizeof line, "%9s %6s %7s  %-28s %s\n", "ms/step", "%", "calls", "launched by",
                "kernel");
  profile.table += line;
  for (size_t i = 0; i < sorted.size() && static_cast<int>(i) < top; ++i) {
    const auto& [name, k] = sorted[i];
    std::snprintf(line, sizeof line, "%9.3f %6.1f %7.1f  %-28s %s\n", k.us / 1000.0 / steps,
                  100.0 * k.us / 1000.0 / std::max(profile.device_busy_ms, 1e-9),
                  static_cast<double>(k.calls) / steps, shorten(k.op, 28).c_str(),
                  shorten(name, 110).c_str());
    profile.table += line;
  }
  return profile;
}

}  // namespace softvit
