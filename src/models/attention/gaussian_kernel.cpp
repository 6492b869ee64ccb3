#include "models/attention/gaussian_kernel.h"

#include "kernels/gaussian_kernel.h"
#include "models/attention/precision.h"

namespace softvit {
torch::Tensor gaussian_kernel(const torch::Tensor& q, const torch::Tensor& k, bool autocast_output) {
  const bool bf16_output = autocast_output && autocast_dtype_for(q) == torch::kBFloat16;
  if (kernels::fused_gaussian_supported(q, k))
    return kernels::fused_gaussian_kernel(q, k, bf16_output ? torch::kBFloat16 : torch::kFloat32);
  auto out = reference::gaussian_kernel(q, k);
  return bf16_output ? out.to(torch::kBFloat16) : out;
}

namespace reference {

torch::Tensor squared_distance(const torch::Tensor& q, const torch::Tensor& k) {
  NoAutocast fp32;
  const auto a = at_least_fp32(q), b = at_least_fp32(k);
  const auto q_sq = a.square().sum(-1, /*keepdim=*/true);                    // ... x n x 1
  const auto k_sq = b.square().sum(-1, /*keepdim=*/true).transpose(-2, -1);  // ... x 1 x m
  return (q_sq + k_sq - 2.0 * torch::matmul(a, b.transpose(-2, -1))).clamp_min(0.0);
}

torch::Tensor gaussian_kernel(const torch::Tensor& q, const torch::Tensor& k) {
  NoAutocast fp32;
  return torch::exp(-0.5 * squared_distance(q, k));
}

}  // namespace reference
}  // namespace softvit
