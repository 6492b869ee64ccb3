// For the tests that compare the fused CUDA kernels with their references on a device.
#pragma once
#include <torch/cuda.h>

#include "catch.h"
#include "kernels/gaussian_kernel.h"

// True when this build has the CUDA kernels and a CUDA device is present; otherwise warns with the
// message tests/CMakeLists.txt reports as a skip. Use: if (!cuda_kernels_runnable()) return;
inline bool cuda_kernels_runnable() {
  if (softvit::kernels::cuda_kernels_compiled() && torch::cuda::is_available()) return true;
  WARN("softvit test skipped: no CUDA kernels in this build or no CUDA device");
  return false;
}
