// Precision guards for the parts of an attention that must not run in half precision: kernel
// distances, the Newton inverse, token statistics and n-term sums.
#pragma once
#include <ATen/autocast_mode.h>
#include <c10/core/impl/LocalDispatchKeySet.h>
#include <torch/torch.h>

#include <optional>

namespace softvit {

// While alive, operators skip autocast (as autocast's own kernels do internally), so a matmul
// stays in the precision of its inputs.
struct NoAutocast {
  c10::impl::ExcludeDispatchKeyGuard guard{c10::autocast_dispatch_keyset};
};

// The dtype autocast works in for t: set while autocast is on for t's device (CPU or CUDA) and t
// is not fp64 (which autocast leaves alone).
inline std::optional<torch::ScalarType> autocast_dtype_for(const torch::Tensor& t) {
  const auto device = t.device().type();
  if ((device != torch::kCUDA && device != torch::kCPU) || t.scalar_type() == torch::kFloat64 ||
      !at::autocast::is_autocast_enabled(device))
    return std::nullopt;
  return at::autocast::get_autocast_dtype(device);
}

// fp16 / bf16 -> fp32; fp32 and fp64 unchanged (the tests run in fp64).
inline torch::Tensor at_least_fp32(const torch::Tensor& x) {
  const auto t = x.scalar_type();
  return (t == torch::kHalf || t == torch::kBFloat16) ? x.to(torch::kFloat32) : x;
}

}  // namespace softvit
