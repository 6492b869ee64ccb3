// LayerNorm over the last dimension, torch::nn::LayerNorm's parameters, names, options and
// init, whose forward takes the fused CUDA kernel (kernels/layer_norm.h) where the build has it and
// the input fits (CUDA, fp32/bf16, width <= 1024, fp32 affine), and ATen's layer_norm otherwise
// (and everywhere when SOFTVIT_FUSED_LAYER_NORM=0 at start-up).
// Under autocast the result is fp32, as autocast's own layer_norm gives; with autocast_output
// set, a block whose norm only feeds matmuls (pre-norm ViT blocks) gets it in the autocast dtype
// instead: the value those matmuls would have cast it to, written once.
#pragma once
#include <torch/torch.h>

namespace softvit {

class LayerNormImpl : public torch::nn::LayerNormImpl {
 public:
  // eps 1e-5 is torch's default; ViTs use 1e-6.
  explicit LayerNormImpl(int64_t dim, double eps = 1e-5, bool autocast_output = false);
  torch::Tensor forward(const torch::Tensor& input);

  bool autocast_output;
};
TORCH_MODULE(LayerNorm);

}  // namespace softvit
