// Moore-Penrose inverse of SOFT's landmark kernel matrix by Newton(-Schulz) iteration, as the
// reference release computes it:
//   P = A + reg I,  alpha = 0.9 * 2 / (max_i sum_j |A_ij|)^2 per matrix,  V0 = alpha P,
//   V <- 2 V - V P V   (iterations times).
// The max absolute row sum bounds the spectral radius of any matrix; for kernel matrices (all
// entries positive) it is the reference's max row sum. With alpha below 2 / lambda_max^2 the
// iteration converges to pinv(P) from that start, quadratically once close.
// The forward runs without autograd (the iterations are never recorded); the backward is the
// derivative of an inverse, taken once: dL/dA = -V^T G V^T with G = dL/dV. On CUDA, matrices up to
// 64 x 64 run all iterations in one fused kernel (kernels/newton_pinv.h); the ATen loop here is the
// reference and the path everywhere else.
#pragma once
#include <torch/torch.h>

namespace softvit {

struct NewtonOptions {
  int64_t iterations = 20;
  double regularization = 0.01;  // the "+ 0.01 I"
};

// a: ... x m x m (batched). Computed in at least fp32, autocast off. Differentiable in `a`.
torch::Tensor newton_pinv(const torch::Tensor& a, const NewtonOptions& options = {});

// The same forward without an autograd node, for callers that need only the value.
torch::Tensor newton_pinv_value(const torch::Tensor& a, const NewtonOptions& options = {});

}  // namespace softvit
