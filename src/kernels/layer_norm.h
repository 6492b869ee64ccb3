// Fused CUDA LayerNorm over the last dimension (width C <= kMaxFusedLayerNormWidth), forward and
// backward. Profiling SOFT-Tiny's training step on an H200 put ATen's LayerNorm at 5.5 of 38 ms:
// its kernels give each row of 64-320 values a whole block and reduce gamma/beta gradients in a
// second pass over the data. Here one warp owns a row: the row stays in registers, mean and
// variance come from two warp reductions (two-pass: (x - mean)^2 summed, no E[x^2] - mean^2
// cancellation), all in fp32. The backward gives each warp many rows, so gamma/beta gradients
// accumulate in registers and only one partial row per warp goes to memory (summed by ATen after).
//   forward:   y = (x - mean) * rstd * gamma + beta,  rstd = 1 / sqrt(var + eps)   (mean, rstd kept)
//   backward:  g = dy * gamma,  xhat = (x - mean) * rstd,
//              dx = rstd * (g - mean_C(g) - xhat * mean_C(g * xhat)),
//              dgamma = sum_rows dy * xhat,  dbeta = sum_rows dy.
// x and y are fp32 or bf16 independently: the output dtype is the caller's choice (bf16 where
// autocast would cast the fp32 result for a matmul: the same rounding, once, without the copy).
// gamma and beta are fp32. The reference is ATen's layer_norm (models/layer_norm.h picks).
#pragma once
#include <ATen/core/Tensor.h>

#include <tuple>

namespace softvit::kernels {

constexpr int64_t kMaxFusedLayerNormWidth = 1024;

// x: ... x C with a non-empty leading part and 1 <= C <= kMaxFusedLayerNormWidth.
bool layer_norm_shape_fits(at::IntArrayRef x);

// x on CUDA, fp32 or bf16, shape as above; weight and bias fp32 vectors of C on x's device.
// CPU tensors always get false.
bool fused_layer_norm_accepts(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias);

// fused_kernels_enabled() && fused_layer_norm_accepts(...): what softvit::LayerNorm asks.
bool fused_layer_norm_supported(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias);

// The fused LayerNorm as an autograd function (differentiable in x, weight and bias), output in
// out_dtype (kFloat or kBFloat16). Requires fused_layer_norm_accepts(x, weight, bias).
at::Tensor fused_layer_norm(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias, double eps,
                            at::ScalarType out_dtype);

// The raw launches behind it (no autograd), for the checks. Errors on CPU-only builds.
// Forward: (y, mean, rstd); mean and rstd are fp32 with x's leading shape.
std::tuple<at::Tensor, at::Tensor, at::Tensor> layer_norm_forward_cuda(const at::Tensor& x,
                                                                       const at::Tensor& weight,
                                                                       const at::Tensor& bias, double eps,
                                                                       at::ScalarType out_dtype);
// Backward: (dx in x's dtype, dweight, dbias in fp32).
std::tuple<at::Tensor, at::Tensor, at::Tensor> layer_norm_backward_cuda(const at::Tensor& grad_out,
                                                                        const at::Tensor& x,
                                                                        const at::Tensor& mean,
                                                                        const at::Tensor& rstd,
                                                                        const at::Tensor& weight);

}  // namespace softvit::kernels
