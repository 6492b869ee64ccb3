// The Gaussian kernel of SOFT, exp(-||q_i - k_j||^2 / 2), on already scaled queries (the caller
// divides by d_h^(1/4), so this is exp(-||q - k||^2 / (2 sqrt(d_h))) of the unscaled ones).
#pragma once
#include <torch/torch.h>

namespace softvit {

// q: ... x n x d, k: ... x m x d -> ... x n x m squared distances, in at least fp32 whatever the
// input precision or autocast state. ||q||^2 + ||k||^2 - 2 q.k cancels when q ~ k and can come
// out slightly negative; it is clamped at 0.
torch::Tensor squared_distance(const torch::Tensor& q, const torch::Tensor& k);

// exp(-squared_distance(q, k) / 2), same precision rules.
torch::Tensor gaussian_kernel(const torch::Tensor& q, const torch::Tensor& k);

}  // namespace softvit
