#include "train/step_benchmark.h"

#include <c10/core/Event.h>
#include <c10/core/impl/VirtualGuardImpl.h>

#include <chrono>

#include "models/channels_last.h"
#include "train/autocast.h"
#include "train/device.h"
#include "train/graphed_step.h"
#include "train/optimizer.h"
#include "train/step_profiler.h"

namespace softvit {
namespace {

// Wall time of `body` over `steps` runs: CUDA events on the current stream for a GPU (no host
// synchronisation between steps), a steady clock on the CPU.
template <typename Body>
double time_ms(const torch::Device& device, int64_t steps, Body body) {
  if (device.is_cuda()) {
    c10::impl::VirtualGuardImpl guard(c10::DeviceType::CUDA);
    const auto stream = guard.getStream(device);
    c10::Event start(c10::DeviceType::CUDA, c10::EventFlag::BACKEND_DEFAULT);
    c10::Event stop(c10::DeviceType::CUDA, c10::EventFlag::BACKEND_DEFAULT);
    start.record(stream);
    for (int64_t i = 0; i < steps; ++i) body();
    stop.record(stream);
    stop.synchronize();
    return start.elapsedTime(stop);
  }
  const auto t0 = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < steps; ++i) body();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

StepBenchmarkResult benchmark_steps(Model& model, const StepBenchmarkOptions& o) {
  const torch::Device device = parse_device(o.device);
  model.to(device);
  if (o.channels_last) convert_to_channels_last(model);
  auto images =
      torch::randn({o.batch_size, o.in_chans, o.img_size, o.img_size}, torch::TensorOptions(device));
  if (o.channels_last) images = channels_last_input(images);  // once, not in every timed step
  auto labels = torch::randint(0, model.num_classes(), {o.batch_size},
                               torch::TensorOptions(device).dtype(torch::kInt64));
  OptimSection optim;
  auto optimizer = make_optimizer(optim, model);
  const bool train = o.mode == "train";
  model.train(train);

  std::unique_ptr<TrainStep> train_step;
  if (train) {
    StepParts parts;
    parts.model = &model;
    parts.optimizer = optimizer.get();
    parts.device = device;
    parts.bf16 = o.bf16;
    parts.channels_last = o.channels_last;
    parts.before_forward = o.before_forward;
    if (o.before_backward)
      parts.backward = [&o](const torch::Tensor& loss, bool) {
        o.before_backward(loss);
        loss.backward();
      };
    train_step = make_train_step(parts, o.cuda_graph);
  }
  const Batch batch{images, labels, torch::Tensor(), {}};
  auto step = [&] {
    if (train) {
      train_step->run(batch, optim.lr);
    } else {
      AutocastScope autocast(device, o.bf16);
      torch::NoGradGuard no_grad;
      model.forward(images);
    }
  };

  StepBenchmarkResult r;
  try {
    // The peak covers the warm-up: a CUDA graph's activations are allocated while it is captured.
    if (device.is_cuda()) torch::cuda::synchronize();
    reset_peak_gpu_bytes(device);
    for (int64_t i = 0; i < o.warmup_steps; ++i) step();
    if (device.is_cuda()) torch::cuda::synchronize();
    const double ms = time_ms(device, o.steps, step);
    r.steps = o.steps;
    r.ms_per_step = ms / o.steps;
    r.img_s = o.batch_size * 1000.0 / r.ms_per_step;
    if (o.profile_steps > 0) r.profile = profile_steps(device, o.profile_steps, step, o.profile_trace).table;
    if (train_step) r.step_kind = train_step->kind();
  } catch (const c10::OutOfMemoryError&) {
    r.out_of_memory = true;
  }
  constexpr double gib = 1024.0 * 1024.0 * 1024.0;
  r.peak_gib = device.is_cuda() ? peak_gpu_bytes(device) / gib : 0.0;
  return r;
}

}  // namespace softvit
