// Precision guards for the parts of an attention that must not run in half precision: kernel
// distances, the Newton inverse, token statistics and n-term sums.
#pragma once
#include <c10/core/impl/LocalDispatchKeySet.h>
#include <torch/torch.h>

namespace softvit {

// While alive, operators skip autocast (as autocast's own kernels do internally), so a matmul
// stays in the precision of its inputs.
struct NoAutocast {
  c10::impl::ExcludeDispatchKeyGuard guard{c10::autocast_dispatch_keyset};
};

// fp16 / bf16 -> fp32; fp32 and fp64 unchanged (the tests run in fp64).
inline torch::Tensor at_least_fp32(const torch::Tensor& x) {
  const auto t = x.scalar_type();
  return (t == torch::kHalf || t == torch::kBFloat16) ? x.to(torch::kFloat32) : x;
}

}  // namespace softvit
