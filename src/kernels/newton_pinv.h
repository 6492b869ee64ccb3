// Fused CUDA Newton-Schulz iteration for many small landmark matrices (SOFT's pseudo-inverse):
// one block per matrix keeps P, V and V P in shared memory and runs every iteration there, instead
// of two launch-bound bmm calls (plus element-wise ones) per iteration. The math is
// softvit::newton_pinv_value's (models/attention/newton_pinv.h), in fp32:
//   P = A + reg I,  alpha = 0.9 * 2 / (max_i sum_j |A_ij|)^2,  V0 = alpha P,  V <- 2 V - (V P) V.
// softvit::newton_pinv_value uses it for CUDA inputs up to kMaxFusedNewtonSize and keeps its ATen
// loop (the reference) for everything else.
#pragma once
#include <ATen/core/Tensor.h>

#include <cstdint>

namespace softvit::kernels {

constexpr int64_t kMaxFusedNewtonSize = 64;

// ... x m x m with 1 <= m <= kMaxFusedNewtonSize and no empty leading dim.
bool newton_shape_fits(at::IntArrayRef a);

// a: ... x m x m on CUDA, fp32 / bf16 / fp16, 1 <= m <= kMaxFusedNewtonSize. CPU tensors: false.
bool fused_newton_accepts(const at::Tensor& a);

// fused_kernels_enabled() && fused_newton_accepts(a): what softvit::newton_pinv_value asks.
bool fused_newton_supported(const at::Tensor& a);

// The iterated inverse, ... x m x m in fp32. No autograd. Errors on CPU-only builds.
at::Tensor newton_pinv_cuda(const at::Tensor& a, int64_t iterations, double regularization);

}  // namespace softvit::kernels
