// Device limits the kernel launchers check against (CUDA translation units only).
#pragma once
#include <ATen/core/Tensor.h>
#include <c10/cuda/CUDAException.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

namespace softvit::kernels {

// The most dynamic shared memory one block may opt in to on the device that holds `on`.
inline int max_shared_memory_per_block(const at::Tensor& on) {
  int value = 0;
  C10_CUDA_CHECK(cudaDeviceGetAttribute(&value, cudaDevAttrMaxSharedMemoryPerBlockOptin, on.get_device()));
  return value;
}

// Raises the dynamic shared-memory limit of `kernel` when it needs more than the default 48 KiB;
// `what` names the kernel in the error when the device cannot give that much.
template <typename Kernel>
void allow_shared_memory(Kernel kernel, size_t bytes, const at::Tensor& on, const char* what) {
  const int limit = max_shared_memory_per_block(on);
  TORCH_CHECK(static_cast<int64_t>(bytes) <= limit, what, ": needs ", bytes,
              " bytes of shared memory per block, the device allows ", limit);
  if (bytes > 48 * 1024)
    C10_CUDA_CHECK(
        cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(bytes)));
}

}  // namespace softvit::kernels
