#include "train/device.h"

#include <sys/resource.h>

#include <thread>

// SOFTVIT_TORCH_CPU_ONLY: built against libtorch_cpu alone (no CUDA toolkit), which lacks the allocator.
#if __has_include(<c10/cuda/CUDACachingAllocator.h>) && !defined(SOFTVIT_TORCH_CPU_ONLY)
#include <c10/cuda/CUDACachingAllocator.h>
#define SOFTVIT_HAVE_CUDA_ALLOCATOR 1
#endif

#include "core/error.h"
#include "core/strings.h"

namespace softvit {

torch::Device parse_device(const std::string& name) {
  if (name == "cpu") return torch::kCPU;
  if (name.rfind("cuda", 0) == 0) {
    if (!torch::cuda::is_available())
      throw ConfigError(
          cat("run.device is '", name, "' but no CUDA device is available (use run.device=cpu)"));
    const torch::Device device(name);
    if (device.index() >= static_cast<int64_t>(torch::cuda::device_count()))
      throw ConfigError(
          cat("run.device is '", name, "' but only ", torch::cuda::device_count(), " CUDA devices exist"));
    return device;
  }
  throw ConfigError(cat("run.device '", name, "' is not cpu, cuda or cuda:N"));
}

int64_t peak_gpu_bytes(const torch::Device& device) {
#ifdef SOFTVIT_HAVE_CUDA_ALLOCATOR
  if (device.is_cuda()) {
    const auto stats =
        c10::cuda::CUDACachingAllocator::getDeviceStats(device.index() < 0 ? 0 : device.index());
    return stats.allocated_bytes[static_cast<size_t>(c10::CachingAllocator::StatType::AGGREGATE)].peak;
  }
#endif
  return 0;
}

void reset_peak_gpu_bytes(const torch::Device& device) {
#ifdef SOFTVIT_HAVE_CUDA_ALLOCATOR
  if (device.is_cuda())
    c10::cuda::CUDACachingAllocator::resetPeakStats(device.index() < 0 ? 0 : device.index());
#endif
}

std::string peak_memory_summary(const torch::Device& device) {
  constexpr double gib = 1024.0 * 1024.0 * 1024.0;
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  const double rss = static_cast<double>(usage.ru_maxrss) * 1024.0 / gib;  // ru_maxrss is in KiB
  std::string out;
  if (device.is_cuda()) out = cat("peak GPU memory ", fixed(peak_gpu_bytes(device) / gib, 2), " GiB, ");
  return out + cat("peak host RSS ", fixed(rss, 2), " GiB");
}

int set_threads(int threads) {
  const int n = threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  torch::set_num_threads(n);
  return n;
}

}  // namespace softvit
