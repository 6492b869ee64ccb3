// Device limits the kernel launchers check against (CUDA translation units only).
#pragma once
#include <ATen/core/Tensor.h>
#include <c10/cuda/CUDAException.h>
#include <cuda_runtime.h>

namespace softvit::kernels {

// The most dynamic shared memory one block may opt in to on the device that holds `on`.
inline int max_shared_memory_per_block(const at::Tensor& on) {
  int value = 0;
  C10_CUDA_CHECK(cudaDeviceGetAttribute(&value, cudaDevAttrMaxSharedMemoryPerBlockOptin, on.get_device()));
  return value;
}

}  // namespace softvit::kernels
