#include "models/layer_norm.h"

#include <ATen/autocast_mode.h>

#include <cstdlib>
#include <string>

#include "kernels/layer_norm.h"

namespace softvit {
namespace {

// The autocast dtype for x's device when autocast is on there and x is a float type it would cast.
std::optional<torch::ScalarType> autocast_dtype(const torch::Tensor& x) {
  const auto device = x.device().type();
  if (device != torch::kCUDA && device != torch::kCPU) return std::nullopt;
  if (!at::autocast::is_autocast_enabled(device) || x.scalar_type() == torch::kFloat64) return std::nullopt;
  return at::autocast::get_autocast_dtype(device);
}

// SOFTVIT_FUSED_LAYER_NORM=0 at start-up: ATen's LayerNorm everywhere (the A/B switch of this
// kernel alone; SOFTVIT_FUSED_KERNELS=0 switches off all of them).
bool fused_layer_norm_switched_off() {
  static const bool off = [] {
    const char* env = std::getenv("SOFTVIT_FUSED_LAYER_NORM");
    return env && std::string(env) == "0";
  }();
  return off;
}

}  // namespace

LayerNormImpl::LayerNormImpl(int64_t dim, double eps, bool autocast_output)
    : torch::nn::LayerNormImpl(torch::nn::LayerNormOptions({dim}).eps(eps)),
      autocast_output(autocast_output) {}

torch::Tensor LayerNormImpl::forward(const torch::Tensor& input) {
  const auto cast = autocast_dtype(input);
  const bool low_output = autocast_output && cast && *cast == torch::kBFloat16;
  if (!fused_layer_norm_switched_off() && kernels::fused_layer_norm_supported(input, weight, bias)) {
    // autocast computes layer_norm in fp32 and returns fp32; without autocast the input's dtype.
    const auto out = low_output ? torch::kBFloat16 : cast ? torch::kFloat : input.scalar_type();
    return kernels::fused_layer_norm(input, weight, bias, options.eps(), out);
  }
  auto y = torch::nn::LayerNormImpl::forward(input);
  return low_output ? y.to(torch::kBFloat16) : y;
}

}  // namespace softvit
