#include "train/step_benchmark.h"

#include <c10/core/Event.h>
#include <c10/core/impl/VirtualGuardImpl.h>

#include <chrono>

#include "train/autocast.h"
#include "train/device.h"
#include "train/optimizer.h"

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
  // Channels-last applies to the input images; parameters keep their layout.
  auto format = o.channels_last ? torch::MemoryFormat::ChannelsLast : torch::MemoryFormat::Contiguous;
  auto images = torch::randn({o.batch_size, o.in_chans, o.img_size, o.img_size}, torch::TensorOptions(device))
                    .contiguous(format);
  auto labels = torch::randint(0, model.num_classes(), {o.batch_size}, torch::TensorOptions(device).dtype(torch::kInt64));
  OptimSection optim;
  auto optimizer = make_optimizer(optim, model);
  const bool train = o.mode == "train";
  model.train(train);

  auto step = [&] {
    AutocastScope autocast(device, o.bf16);
    if (train) {
      optimizer->zero_grad();
      if (o.before_forward) o.before_forward();
      auto loss = torch::nn::functional::cross_entropy(model.forward(images), labels);
      if (o.before_backward) o.before_backward(loss);
      loss.backward();
      optimizer->step();
    } else {
      torch::NoGradGuard no_grad;
      model.forward(images);
    }
  };

  StepBenchmarkResult r;
  try {
    for (int64_t i = 0; i < o.warmup_steps; ++i) step();
    if (device.is_cuda()) torch::cuda::synchronize();
    reset_peak_gpu_bytes(device);
    const double ms = time_ms(device, o.steps, step);
    r.steps = o.steps;
    r.ms_per_step = ms / o.steps;
    r.img_s = o.batch_size * 1000.0 / r.ms_per_step;
  } catch (const c10::OutOfMemoryError&) {
    r.out_of_memory = true;
  }
  constexpr double gib = 1024.0 * 1024.0 * 1024.0;
  r.peak_gib = device.is_cuda() ? peak_gpu_bytes(device) / gib : 0.0;
  return r;
}

}  // namespace softvit
