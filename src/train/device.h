#pragma once
#include <torch/torch.h>

#include <string>

namespace softvit {

// "cpu", "cuda" or "cuda:N" -> a device; a CUDA device on a machine without one is a ConfigError.
torch::Device parse_device(const std::string& name);

// Sets the intra-op thread count (0: all cores) and returns the count in use.
int set_threads(int threads);

}  // namespace softvit
