// SimA (Koohpayegani and Pirsiavash, WACV 2024): softmax-free attention that divides Q and K by
// their L1 norm over the tokens (per head and channel; max(||.||_1, 1e-12) as F.normalize does),
// with no scale and nothing learnable, and multiplies in the cheaper order:
//   Y = Q^ (K^^T V)   (n d_h^2)   or   (Q^ K^^T) V   (n^2 d_h) when n < d_h.
// Normalisation and products in at least fp32. Parameter names: qkv, proj (timm's Attention).
#pragma once
#include "models/attention.h"
#include "models/attention_registry.h"
#include "models/linear.h"

namespace softvit {

struct SimaAttention : Attention {
  explicit SimaAttention(const AttentionOptions& options);
  torch::Tensor forward(const torch::Tensor& x, int64_t grid_h, int64_t grid_w) override;

  int64_t num_heads;
  Linear qkv{nullptr}, proj{nullptr};
  torch::nn::Dropout proj_drop{nullptr};
};

}  // namespace softvit
