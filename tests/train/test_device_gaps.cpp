// On a GPU: DeviceGaps measures the GPU's idle time between steps, not the host's wait. A host
// that waits while the GPU is still busy with queued work (what the host-side data wait counts)
// leaves no gap; a GPU left without work does. Skipped where no CUDA device is present.
#include <torch/cuda.h>

#include <chrono>
#include <thread>

#include "catch.h"
#include "train/device_gaps.h"

using namespace softvit;

namespace {

// About `ms` milliseconds of GPU work queued on the current stream (a chain of matmuls).
void queue_gpu_work(int ms) {
  const auto a = torch::randn({2048, 2048}, torch::kCUDA);
  torch::cuda::synchronize();
  auto t0 = std::chrono::steady_clock::now();
  auto b = a.mm(a);
  torch::cuda::synchronize();
  const double one = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  for (int i = 0; i < static_cast<int>(ms / std::max(one, 0.01)); ++i) b = a.mm(b).div_(2048);
}

}  // namespace

TEST_CASE("device gaps: the GPU's idle time between steps, not the host's wait", "[cuda][train]") {
  if (!torch::cuda::is_available()) {
    WARN("softvit test skipped: no CUDA device");
    return;
  }
  const torch::Device device(torch::kCUDA, 0);
  DeviceGaps gaps(device);
  REQUIRE(gaps.active());
  queue_gpu_work(1);  // warm up cuBLAS

  // The GPU sits idle while the host sleeps 50 ms "waiting for data".
  gaps.epoch_started();
  torch::cuda::synchronize();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  gaps.batch_arrived();
  queue_gpu_work(5);
  gaps.step_done();
  const double idle = gaps.take();
  CHECK(idle > 0.045);
  CHECK(idle < 0.5);

  // The host waits 50 ms as well, but with 200 ms of work queued the GPU never idles.
  gaps.epoch_started();
  queue_gpu_work(200);
  gaps.step_done();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  gaps.batch_arrived();
  queue_gpu_work(5);
  gaps.step_done();
  CHECK(gaps.take() < 0.005);  // the first pair (epoch start to first batch) and this one: no gap
}

TEST_CASE("device gaps: nothing on the CPU", "[train]") {
  DeviceGaps gaps(torch::kCPU);
  CHECK_FALSE(gaps.active());
  gaps.epoch_started();
  gaps.batch_arrived();
  gaps.step_done();
  CHECK(gaps.take() == 0.0);
}
