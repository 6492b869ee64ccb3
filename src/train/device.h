#pragma once
#include <torch/torch.h>

#include <string>

namespace softvit {

// "cpu", "cuda" or "cuda:N" -> a device; a CUDA device on a machine without one is a ConfigError.
torch::Device parse_device(const std::string& name);

// "peak GPU memory 1.23 GiB, peak host RSS 0.45 GiB" (the GPU part only for a CUDA device).
std::string peak_memory_summary(const torch::Device& device);
// Peak bytes allocated by the CUDA caching allocator on `device` since the last reset; 0 on CPU.
int64_t peak_gpu_bytes(const torch::Device& device);
void reset_peak_gpu_bytes(const torch::Device& device);

// Sets the intra-op thread count (0: all cores) and returns the count in use.
int set_threads(int threads);

}  // namespace softvit
