// Fused CUDA Gaussian kernel of SOFT: out[b, i, j] = exp(-||q_bi - k_bj||^2 / 2), the squared
// distance summed exactly as sum_c (q_c - k_c)^2 in fp32 (no ||q||^2 + ||k||^2 - 2 q.k expansion:
// SOFT's landmarks are averages of the queries, so q ~ k is the common case and the expansion
// cancels there; the exact sum costs one more add per term on a memory-bound kernel and needs no
// clamp). The reference (ATen) path is softvit::reference::gaussian_kernel in
// models/attention/gaussian_kernel.h; models use the fused path through softvit::gaussian_kernel,
// which picks it for CUDA inputs when this build has the kernels.
//
// Shapes: q ... x n x d (fp32 or bf16), k ... x m x d (fp32 or bf16), the same leading dims
// (no broadcasting), 1 <= d <= kMaxFusedHeadDim. Output ... x n x m in fp32 (the Newton inverse
// needs the landmark kernel in fp32) or, on request, bf16: rounded once from the fp32 value, what
// autocast would cast it to before a bf16 matmul; the kernel then writes, and the backward keeps,
// half the bytes (the backward reads it and its gradient in bf16 and forms g = dout * out in fp32).
// Backward: dq, dk from the upstream gradient, q, k and the saved output (no n x m distance tensor
// is kept):  g = dout * out,  dq_i = sum_j g_ij k_j - q_i sum_j g_ij,  dk_j = sum_i g_ij q_i - k_j
// sum_i g_ij (fp32 accumulation; dq, dk in the dtypes of q, k). Not twice differentiable.
#pragma once
#include <ATen/core/Tensor.h>

#include <utility>

namespace softvit::kernels {

constexpr int64_t kMaxFusedHeadDim = 128;

// True when this build has the CUDA kernels (nvcc was found at configure time).
bool cuda_kernels_compiled();

// True when the fused kernels are compiled in and not switched off, by the environment
// (SOFTVIT_FUSED_KERNELS=0 at start-up sends every call to the reference paths, for A/B
// comparisons) or by set_fused_kernels_enabled(false).
bool fused_kernels_enabled();
void set_fused_kernels_enabled(bool enabled);

// True when the environment variable is set to "0": how one kernel is switched off for A/B runs
// (SOFTVIT_FUSED_KERNELS, SOFTVIT_FUSED_DEPTHWISE, SOFTVIT_FUSED_LAYER_NORM). Callers read it once.
bool switched_off_by_env(const char* variable);

// Shapes the launches take: q ... x n x d, k ... x m x d with equal non-empty leading dims,
// n, m >= 1 and 1 <= d <= kMaxFusedHeadDim.
bool gaussian_shapes_fit(at::IntArrayRef q, at::IntArrayRef k);

// True when the launches below take these inputs: both tensors on the same CUDA device, fp32 or
// bf16, shapes as above (n, m >= 1). CPU tensors always get false.
bool fused_gaussian_accepts(const at::Tensor& q, const at::Tensor& k);

// fused_kernels_enabled() && fused_gaussian_accepts(q, k): what softvit::gaussian_kernel asks.
bool fused_gaussian_supported(const at::Tensor& q, const at::Tensor& k);

// The fused kernel as an autograd function (differentiable in q and k), output in out_dtype
// (kFloat or kBFloat16). Requires fused_gaussian_accepts(q, k).
at::Tensor fused_gaussian_kernel(const at::Tensor& q, const at::Tensor& k,
                                 at::ScalarType out_dtype = at::kFloat);

// The raw launches behind it (no autograd), for the checks. Errors on CPU-only builds.
at::Tensor gaussian_forward_cuda(const at::Tensor& q, const at::Tensor& k,
                                 at::ScalarType out_dtype = at::kFloat);
// `out` is the forward's output (fp32 or bf16). Returns (dq, dk) in the dtypes of q and k.
std::pair<at::Tensor, at::Tensor> gaussian_backward_cuda(const at::Tensor& grad_out, const at::Tensor& q,
                                                         const at::Tensor& k, const at::Tensor& out);

}  // namespace softvit::kernels
