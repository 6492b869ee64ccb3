#include "models/layer_norm.h"

#include "kernels/gaussian_kernel.h"
#include "kernels/layer_norm.h"
#include "models/attention/precision.h"

namespace softvit {
namespace {

// SOFTVIT_FUSED_LAYER_NORM=0 at start-up: ATen's LayerNorm everywhere (the A/B switch of this
// kernel alone; SOFTVIT_FUSED_KERNELS=0 switches off all of them).
bool fused_layer_norm_switched_off() {
  static const bool off = kernels::switched_off_by_env("SOFTVIT_FUSED_LAYER_NORM");
  return off;
}

}  // namespace

LayerNormImpl::LayerNormImpl(int64_t dim, double eps, bool autocast_output)
    : torch::nn::LayerNormImpl(torch::nn::LayerNormOptions({dim}).eps(eps)),
      autocast_output(autocast_output) {}

torch::Tensor LayerNormImpl::forward(const torch::Tensor& input) {
  const auto cast = autocast_dtype_for(input);
  const bool low_output = autocast_output && cast == torch::kBFloat16;
  if (!fused_layer_norm_switched_off() && kernels::fused_layer_norm_supported(input, weight, bias)) {
    // autocast computes layer_norm in fp32 and returns fp32; without autocast the input's dtype.
    const auto out = low_output ? torch::kBFloat16 : cast ? torch::kFloat : input.scalar_type();
    return kernels::fused_layer_norm(input, weight, bias, options.eps(), out);
  }
  auto y = torch::nn::LayerNormImpl::forward(input);
  return low_output ? y.to(torch::kBFloat16) : y;
}

}  // namespace softvit
