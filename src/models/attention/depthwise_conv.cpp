#include "models/attention/depthwise_conv.h"

#include <ATen/autocast_mode.h>

#include "kernels/depthwise_conv.h"
#include "kernels/gaussian_kernel.h"

namespace softvit {
namespace {

// What autocast hands conv2d (a lower-precision op): floating inputs other than fp64 in the
// autocast dtype while autocast is on for CUDA.
torch::Tensor autocast_input(const torch::Tensor& t) {
  if (!at::autocast::is_autocast_enabled(torch::kCUDA) || !t.is_floating_point() ||
      t.scalar_type() == torch::kFloat64)
    return t;
  return t.to(at::autocast::get_autocast_dtype(torch::kCUDA));
}

bool depthwise_kernel_switched_off() {
  static const bool off = kernels::switched_off_by_env("SOFTVIT_FUSED_DEPTHWISE");
  return off;
}

}  // namespace

torch::Tensor depthwise_conv2d(const torch::Tensor& input, const torch::Tensor& weight) {
  if (input.is_cuda() && kernels::fused_kernels_enabled() && !depthwise_kernel_switched_off()) {
    const auto x = autocast_input(input), w = autocast_input(weight);
    if (kernels::fused_depthwise_supported(x, w)) return kernels::fused_depthwise_conv2d(x, w);
  }
  return reference::depthwise_conv2d(input, weight);
}

namespace reference {

torch::Tensor depthwise_conv2d(const torch::Tensor& input, const torch::Tensor& weight) {
  return torch::conv2d(input, weight, {}, 1, weight.size(-1) / 2, 1, input.size(1));
}

}  // namespace reference
}  // namespace softvit
