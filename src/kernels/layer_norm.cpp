// Dispatch and the autograd wrapper of the fused LayerNorm; the launches are in layer_norm.cu
// (only built with nvcc).
#include "kernels/layer_norm.h"

#include <torch/csrc/autograd/custom_function.h>

#include "kernels/dtypes.h"
#include "kernels/gaussian_kernel.h"

namespace softvit::kernels {
namespace {

struct FusedLayerNormFunction : torch::autograd::Function<FusedLayerNormFunction> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x,
                            const at::Tensor& weight, const at::Tensor& bias, double eps,
                            at::ScalarType out_dtype) {
    auto [y, mean, rstd] = layer_norm_forward_cuda(x, weight, bias, eps, out_dtype);
    ctx->save_for_backward({x, weight, mean, rstd});
    return y;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    if (!grads[0].defined()) return {at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
    const auto saved = ctx->get_saved_variables();
    auto [dx, dweight, dbias] = layer_norm_backward_cuda(grads[0], saved[0], saved[2], saved[3], saved[1]);
    return {dx, dweight, dbias, at::Tensor(), at::Tensor()};
  }
};

bool is_fp32_vector(const at::Tensor& t, int64_t size, const at::Device& device) {
  return t.defined() && t.device() == device && t.scalar_type() == at::kFloat && t.dim() == 1 &&
         t.size(0) == size;
}

}  // namespace

bool layer_norm_shape_fits(at::IntArrayRef x) {
  if (x.empty()) return false;
  for (auto size : x)
    if (size < 1) return false;
  return x.back() <= kMaxFusedLayerNormWidth;
}

bool fused_layer_norm_accepts(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) {
  if (!x.defined() || !x.is_cuda() || !is_fp32_or_bf16(x) || !layer_norm_shape_fits(x.sizes())) return false;
  return is_fp32_vector(weight, x.size(-1), x.device()) && is_fp32_vector(bias, x.size(-1), x.device());
}

bool fused_layer_norm_supported(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) {
  return fused_kernels_enabled() && fused_layer_norm_accepts(x, weight, bias);
}

at::Tensor fused_layer_norm(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias, double eps,
                            at::ScalarType out_dtype) {
  return FusedLayerNormFunction::apply(x, weight, bias, eps, out_dtype);
}

#if !SOFTVIT_HAS_CUDA_KERNELS
// CPU-only build: the launches exist so that callers link, and refuse to run.
std::tuple<at::Tensor, at::Tensor, at::Tensor> layer_norm_forward_cuda(const at::Tensor&, const at::Tensor&,
                                                                       const at::Tensor&, double,
                                                                       at::ScalarType) {
  TORCH_CHECK(false, "fused layer norm: this build has no CUDA kernels (no nvcc at configure time)");
}
std::tuple<at::Tensor, at::Tensor, at::Tensor> layer_norm_backward_cuda(const at::Tensor&, const at::Tensor&,
                                                                        const at::Tensor&, const at::Tensor&,
                                                                        const at::Tensor&) {
  TORCH_CHECK(false, "fused layer norm: this build has no CUDA kernels (no nvcc at configure time)");
}
#endif

}  // namespace softvit::kernels
