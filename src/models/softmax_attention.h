// Multi-head softmax attention through the fused scaled_dot_product_attention kernel.
// Parameter names follow timm's vision_transformer.Attention: qkv, proj.
#pragma once
#include "models/attention.h"

namespace softvit {

struct SoftmaxAttention : Attention {
  SoftmaxAttention(int64_t dim, int64_t num_heads, bool qkv_bias, double proj_drop);
  torch::Tensor forward(const torch::Tensor& x, int64_t grid_h, int64_t grid_w) override;

  int64_t num_heads;
  torch::nn::Linear qkv{nullptr}, proj{nullptr};
  torch::nn::Dropout proj_drop{nullptr};
};

}  // namespace softvit
