#include "kernels/check_registry.h"

namespace softvit::kernels::check {

const std::vector<KernelCheck>& kernel_checks() {
  static const std::vector<KernelCheck> checks = {
      {"gaussian_kernel", "gaussian_kernel", "SOFT's Gaussian kernel: forward, dq, dk",
       check_gaussian_kernel},
      {"newton_pinv", "newton_pinv", "Newton-Schulz pseudo-inverse of the landmark matrices",
       check_newton_pinv},
      {"depthwise_conv", "depthwise_conv", "depthwise convolution: forward, dx, dw", check_depthwise_conv},
      {"layer_norm", "layer_norm", "LayerNorm: forward, dx, dgamma, dbeta", check_layer_norm},
      {"crop_resize", "crop_resize", "crop, resize, flip and normalise of decoded images (the GPU decode path)",
       check_crop_resize},
      {"soft_layer", "", "one SOFT attention layer end to end, fused against reference (not with --quick)",
       check_soft_layer},
  };
  return checks;
}

}  // namespace softvit::kernels::check
