// SOFT attention (Lu et al., NeurIPS 2021) and SOFT-Norm (SOFT++, IJCV 2024): a Gaussian kernel
// with tied queries and keys, approximated through landmarks in Nystrom form, plus a depthwise
// local value path. For each head, with Q scaled by d_h^(-1/4):
//   Q~ = landmarks(Q) (m of them), K1 = exp(-dist(Q, Q~) / 2) (n x m), A = exp(-dist(Q~, Q~) / 2),
//   Y  = K1 (pinv(A) (K1^T V)) + DWConv(V)
// pinv by Newton iteration (newton_pinv.h); SOFT-Norm uses D^-1/2 pinv(A) D^-1/2, D = rowsum(A).
// K1^T V is formed first and then pinv(A) (K1^T V) (m x d_h), so nothing n x n or even n x m x m
// is built: n m d_h + m^2 d_h work instead of the release's (K1 pinv(A)) (K1^T V), same value.
//
// Landmarks from the h x w token grid (the last h*w tokens; earlier tokens such as cls are
// queries and values like any other, but no landmarks and no local path):
//   conv:    Conv2d(d_h, d_h, kernel = stride = sr, no bias), shared by the heads, then
//            LayerNorm(d_h) and exact GELU (the released checkpoints).
//   avgpool: average pooling over sr x sr cells, nothing learnable (the paper's text).
// Landmark grid: by stride, (max(1, h / sr), max(1, w / sr)); with landmark_count = s^2,
// (min(s, h), min(s, w)) at any resolution, so cost stays linear in tokens. When the grid does not
// divide into that many sr x sr cells, the map is first adaptive-average-pooled to
// (grid_h * sr, grid_w * sr) (conv) or pooled straight to the landmark grid (avgpool); at 224 px
// with sr = 8, 4, 2 and s = 7 no pooling happens and the result equals the release's.
//
// Parameter names follow the release (models/softmax_free_transformer.py) so its weights load
// one to one:
//   W_q, W_v                  query and value projections (with bias); there is no W_k
//   attn.Qlandmark_op         landmark conv (conv landmarks only)
//   attn.Qnorm_act.0          landmark LayerNorm(d_h), eps 1e-5 (.1 is the GELU)
//   attn.conv                 depthwise local conv (h, 1, k, k), when local_conv > 0
//   ff                        output projection (with bias)
#pragma once
#include <array>
#include <utility>

#include "models/attention.h"
#include "models/attention/newton_pinv.h"
#include "models/attention_registry.h"
#include "models/linear.h"

namespace softvit {

// Landmark grid (rows, cols) for a grid_h x grid_w token grid; see above.
std::pair<int64_t, int64_t> landmark_grid(int64_t grid_h, int64_t grid_w, int64_t sr_ratio,
                                          int64_t landmark_count);

// The per-head part: q, v: B x heads x N x d_h -> B x heads x N x d_h.
struct SoftKernel : torch::nn::Module {
  SoftKernel(const AttentionOptions& options, bool symmetric_norm);
  torch::Tensor forward(const torch::Tensor& q, const torch::Tensor& v, int64_t grid_h, int64_t grid_w);
  // Landmarks of (already scaled) q: B x heads x m x d_h.
  torch::Tensor landmarks(const torch::Tensor& q, int64_t grid_h, int64_t grid_w);
  // Explanations only: the n x n operator this computes, forward(q, v) = operator(q) v:
  // K1 pinv(A) K1^T (with SOFT-Norm's D^-1/2 scaling) plus the local path's filter as a banded
  // matrix on the grid tokens. B x heads x n x n: quadratic, for small n only.
  torch::Tensor mixing_operator(const torch::Tensor& q, int64_t grid_h, int64_t grid_w);
  // K1 = kernel(q / d_h^(1/4), landmarks) and pinv(A) (with SOFT-Norm's D^-1/2 on both sides): what
  // forward and mixing_operator share. autocast_k1: K1 may come out in the autocast dtype.
  std::array<torch::Tensor, 2> nystrom_factors(const torch::Tensor& q, int64_t grid_h, int64_t grid_w,
                                               bool autocast_k1);

  int64_t num_heads, head_dim, sr_ratio, landmark_count;
  bool use_conv_landmarks, symmetric_norm;
  NewtonOptions newton;
  torch::nn::Conv2d Qlandmark_op{nullptr};
  torch::nn::Sequential Qnorm_act{nullptr};
  torch::nn::Conv2d conv{nullptr};  // local value path; null when local_conv == 0
};

struct SoftAttention : Attention {
  SoftAttention(const AttentionOptions& options, bool symmetric_norm);
  torch::Tensor forward(const torch::Tensor& x, int64_t grid_h, int64_t grid_w) override;
  // The output through SoftKernel::mixing_operator, which goes to *mixing.
  torch::Tensor forward_with_operator(const torch::Tensor& x, int64_t grid_h, int64_t grid_w,
                                      torch::Tensor* mixing) override;

  int64_t num_heads;
  Linear W_q{nullptr}, W_v{nullptr}, ff{nullptr};
  std::shared_ptr<SoftKernel> attn;
};

}  // namespace softvit
