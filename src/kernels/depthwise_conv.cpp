// Dispatch and the autograd wrapper of the fused depthwise convolution; the launches are in
// depthwise_conv.cu (only built with nvcc).
#include "kernels/depthwise_conv.h"

#include <torch/csrc/autograd/custom_function.h>

#include "kernels/dtypes.h"
#include "kernels/gaussian_kernel.h"

namespace softvit::kernels {
namespace {

struct FusedDepthwiseFunction : torch::autograd::Function<FusedDepthwiseFunction> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& input,
                            const at::Tensor& weight) {
    auto out = depthwise_conv2d_forward_cuda(input, weight);
    ctx->save_for_backward({input, weight});
    return out;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    if (!grads[0].defined()) return {at::Tensor(), at::Tensor()};
    const auto saved = ctx->get_saved_variables();
    auto [grad_input, grad_weight] = depthwise_conv2d_backward_cuda(
        grads[0], saved[0], saved[1], ctx->needs_input_grad(0), ctx->needs_input_grad(1));
    return {grad_input, grad_weight};
  }
};

}  // namespace

bool depthwise_shapes_fit(at::IntArrayRef input, at::IntArrayRef weight) {
  if (input.size() != 4 || weight.size() != 4) return false;
  for (auto size : input)
    if (size < 1) return false;
  const int64_t k = weight[2];
  return weight[0] == input[1] && weight[1] == 1 && weight[3] == k && k % 2 == 1 &&
         k <= kMaxFusedDepthwiseKernel;
}

bool fused_depthwise_accepts(const at::Tensor& input, const at::Tensor& weight) {
  if (!input.defined() || !weight.defined() || !input.is_cuda() || !weight.is_cuda() ||
      input.device() != weight.device())
    return false;
  return is_fp32_or_bf16(input) && is_fp32_or_bf16(weight) &&
         depthwise_shapes_fit(input.sizes(), weight.sizes()) &&
         input.is_contiguous(at::MemoryFormat::ChannelsLast);
}

bool fused_depthwise_supported(const at::Tensor& input, const at::Tensor& weight) {
  return fused_kernels_enabled() && fused_depthwise_accepts(input, weight);
}

at::Tensor fused_depthwise_conv2d(const at::Tensor& input, const at::Tensor& weight) {
  return FusedDepthwiseFunction::apply(input, weight);
}

#if !SOFTVIT_HAS_CUDA_KERNELS
// CPU-only build: the launches exist so that callers link, and refuse to run.
at::Tensor depthwise_conv2d_forward_cuda(const at::Tensor&, const at::Tensor&) {
  TORCH_CHECK(false, "fused depthwise conv: this build has no CUDA kernels (no nvcc at configure time)");
}
std::pair<at::Tensor, at::Tensor> depthwise_conv2d_backward_cuda(const at::Tensor&, const at::Tensor&,
                                                                 const at::Tensor&, bool, bool) {
  TORCH_CHECK(false, "fused depthwise conv: this build has no CUDA kernels (no nvcc at configure time)");
}
#endif

}  // namespace softvit::kernels
