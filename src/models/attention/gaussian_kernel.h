// The Gaussian kernel of SOFT, exp(-||q_i - k_j||^2 / 2), on already scaled queries (the caller
// divides by d_h^(1/4), so this is exp(-||q - k||^2 / (2 sqrt(d_h))) of the unscaled ones).
#pragma once
#include <torch/torch.h>

namespace softvit {

// exp(-||q_i - k_j||^2 / 2) for q: ... x n x d, k: ... x m x d -> ... x n x m, computed in at least
// fp32 whatever the input precision or autocast state, and returned in fp32 (fp64 for fp64 inputs).
// With autocast_output, while autocast runs in bf16 on q's device the result comes back in bf16:
// for a caller that only feeds it to matmuls, which autocast would cast it for anyway (one rounding
// either way; only one bf16 copy is kept instead of an fp32 tensor and a bf16 copy per matmul).
// CUDA inputs take the fused kernel (kernels/gaussian_kernel.h) when this build has it and the
// shapes fit; everything else, and every CPU tensor, the reference below.
torch::Tensor gaussian_kernel(const torch::Tensor& q, const torch::Tensor& k, bool autocast_output = false);

namespace reference {

// ... x n x m squared distances in at least fp32. ||q||^2 + ||k||^2 - 2 q.k (one matmul) cancels
// when q ~ k and can come out slightly negative; it is clamped at 0.
torch::Tensor squared_distance(const torch::Tensor& q, const torch::Tensor& k);

// exp(-squared_distance(q, k) / 2) on ATen operators, same precision rules.
torch::Tensor gaussian_kernel(const torch::Tensor& q, const torch::Tensor& k);

}  // namespace reference
}  // namespace softvit
