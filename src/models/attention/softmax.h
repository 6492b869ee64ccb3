// Multi-head softmax attention, softmax(Q K^T / sqrt(d_h)) V. Fused: through
// scaled_dot_product_attention (flash / memory-efficient kernels); explicit: the n x n scores are
// materialised (the quadratic baseline of `softvit bench attention`).
// Parameter names follow timm's vision_transformer.Attention (qkv, proj), or with split_qkv the
// SOFT release's stage-4 Attention (q, kv, proj).
#pragma once
#include <array>

#include "models/attention.h"
#include "models/attention_registry.h"
#include "models/linear.h"

namespace softvit {

struct SoftmaxAttention : Attention {
  SoftmaxAttention(int64_t dim, int64_t num_heads, bool qkv_bias, double proj_drop);
  explicit SoftmaxAttention(const AttentionOptions& options);
  torch::Tensor forward(const torch::Tensor& x, int64_t grid_h, int64_t grid_w) override;
  // softmax(Q K^T / sqrt(d_h)), B x heads x N x N: what attention rollout multiplies over blocks.
  torch::Tensor probabilities(const torch::Tensor& x);
  // The output through the explicit probabilities, which go to *mixing.
  torch::Tensor forward_with_operator(const torch::Tensor& x, int64_t grid_h, int64_t grid_w,
                                      torch::Tensor* mixing) override;

  int64_t num_heads;
  bool fused;
  Linear qkv{nullptr}, q{nullptr}, kv{nullptr}, proj{nullptr};  // qkv, or q and kv
  torch::nn::Dropout proj_drop{nullptr};

 private:
  // Q, K, V, each B x heads x N x head_dim.
  std::array<torch::Tensor, 3> project(const torch::Tensor& x);
  // softmax(Q K^T / sqrt(d_h)) of projected queries and keys, explicitly.
  static torch::Tensor probabilities_of(const torch::Tensor& qs, const torch::Tensor& ks);
};

}  // namespace softvit
