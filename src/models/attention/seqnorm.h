// Softmax-free attention with sequence normalisation (Khader et al., 2024). Q, K and V are each
// normalised along the sequence (over the tokens, per sample and channel), given a learnable
// per-channel affine, and combined without softmax in the reordered product
//   Y = (1/n) Q~ (K~^T V~)        per head: O(n d_h^2), nothing n x n.
// Statistics and the n-sum K~^T V~ are computed in fp32 (autocast off); the normalisation is one
// autograd function with a closed-form backward (seqnorm_function.h).
// Options (documented choices; the paper leaves them open):
//   seqnorm_stat = standardise: (x - mean) / sqrt(var + eps)   (biased variance over tokens)
//                = l2:          x / sqrt(mean(x^2) + eps), i.e. the token L2 norm / sqrt(n), so that
//                               the scale matches standardise and the 1/n of the product
//   seqnorm_eps, seqnorm_cls: whether tokens before the grid (cls) enter the statistics; they
//                             are normalised with the grid's statistics either way.
// Parameter names: qkv, proj as timm's Attention; q_norm, k_norm, v_norm (weight, bias: C each).
#pragma once
#include "models/attention.h"
#include "models/attention_registry.h"
#include "models/linear.h"

namespace softvit {

// Normalises B x heads x N x d_h over the tokens, then applies the affine of its C = heads*d_h
// channels.
struct SequenceNorm : torch::nn::Module {
  SequenceNorm(int64_t num_heads, int64_t head_dim, std::string statistic, double eps, bool use_extra_tokens);
  // extra_tokens: how many leading tokens are not grid tokens. Returns at least fp32.
  torch::Tensor forward(const torch::Tensor& x, int64_t extra_tokens);

  std::string statistic;
  double eps;
  bool use_extra_tokens;
  torch::Tensor weight, bias;  // heads x 1 x d_h, i.e. C channels in head-major order
};

struct SeqNormAttention : Attention {
  explicit SeqNormAttention(const AttentionOptions& options);
  torch::Tensor forward(const torch::Tensor& x, int64_t grid_h, int64_t grid_w) override;

  int64_t num_heads;
  Linear qkv{nullptr}, proj{nullptr};
  std::shared_ptr<SequenceNorm> q_norm, k_norm, v_norm;
  torch::nn::Dropout proj_drop{nullptr};
};

}  // namespace softvit
