#include "train/device.h"

#include <thread>

#include "core/error.h"
#include "core/strings.h"

namespace softvit {

torch::Device parse_device(const std::string& name) {
  if (name == "cpu") return torch::kCPU;
  if (name.rfind("cuda", 0) == 0) {
    if (!torch::cuda::is_available())
      throw ConfigError(cat("run.device is '", name, "' but no CUDA device is available (use run.device=cpu)"));
    const torch::Device device(name);
    if (device.index() >= static_cast<int64_t>(torch::cuda::device_count()))
      throw ConfigError(cat("run.device is '", name, "' but only ", torch::cuda::device_count(), " CUDA devices exist"));
    return device;
  }
  throw ConfigError(cat("run.device '", name, "' is not cpu, cuda or cuda:N"));
}

int set_threads(int threads) {
  const int n = threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  torch::set_num_threads(n);
  return n;
}

}  // namespace softvit
