#include "models/attention/softmax.h"

#include <cmath>

#include "core/error.h"
#include "core/strings.h"

namespace softvit {
namespace {

AttentionOptions basic(int64_t dim, int64_t heads, bool qkv_bias, double drop) {
  AttentionOptions o;
  o.dim = dim;
  o.num_heads = heads;
  o.qkv_bias = qkv_bias;
  o.proj_drop = drop;
  return o;
}

Linear linear(int64_t in, int64_t out, bool bias) {
  return Linear(torch::nn::LinearOptions(in, out).bias(bias));
}

}  // namespace

SoftmaxAttention::SoftmaxAttention(int64_t dim, int64_t heads, bool qkv_bias, double drop)
    : SoftmaxAttention(basic(dim, heads, qkv_bias, drop)) {}

SoftmaxAttention::SoftmaxAttention(const AttentionOptions& o) : num_heads(o.num_heads), fused(o.fused) {
  if (o.dim % o.num_heads != 0)
    throw ConfigError(
        cat("softmax attention: width ", o.dim, " is not divisible by ", o.num_heads, " heads"));
  if (o.split_qkv) {
    q = register_module("q", linear(o.dim, o.dim, o.qkv_bias));
    kv = register_module("kv", linear(o.dim, 2 * o.dim, o.qkv_bias));
  } else {
    qkv = register_module("qkv", linear(o.dim, 3 * o.dim, o.qkv_bias));
  }
  proj = register_module("proj", Linear(o.dim, o.dim));
  proj_drop = register_module("proj_drop", torch::nn::Dropout(o.proj_drop));
}

std::array<torch::Tensor, 3> SoftmaxAttention::project(const torch::Tensor& x) {
  const auto b = x.size(0), n = x.size(1), c = x.size(2), head_dim = c / num_heads;
  if (qkv) {
    // unbind, not indexing: the backward stacks three gradients instead of summing three
    // zero-filled full-size ones.
    auto q_k_v = qkv->forward(x).reshape({b, n, 3, num_heads, head_dim}).permute({2, 0, 3, 1, 4}).unbind(0);
    return {q_k_v[0], q_k_v[1], q_k_v[2]};
  }
  auto k_v = kv->forward(x).reshape({b, n, 2, num_heads, head_dim}).permute({2, 0, 3, 1, 4}).unbind(0);
  return {q->forward(x).reshape({b, n, num_heads, head_dim}).transpose(1, 2), k_v[0], k_v[1]};
}

torch::Tensor SoftmaxAttention::probabilities_of(const torch::Tensor& qs, const torch::Tensor& ks) {
  const auto scores = torch::matmul(qs, ks.transpose(-2, -1)) / std::sqrt(static_cast<double>(qs.size(-1)));
  return torch::softmax(scores, -1);
}

torch::Tensor SoftmaxAttention::probabilities(const torch::Tensor& x) {
  const auto [qs, ks, vs] = project(x);
  return probabilities_of(qs, ks);
}

torch::Tensor SoftmaxAttention::forward_with_operator(const torch::Tensor& x, int64_t, int64_t,
                                                      torch::Tensor* mixing) {
  const auto b = x.size(0), n = x.size(1), c = x.size(2);
  const auto [qs, ks, vs] = project(x);
  *mixing = probabilities_of(qs, ks);
  return proj_drop->forward(proj->forward(torch::matmul(*mixing, vs).transpose(1, 2).reshape({b, n, c})));
}

torch::Tensor SoftmaxAttention::forward(const torch::Tensor& x, int64_t, int64_t) {
  const auto b = x.size(0), n = x.size(1), c = x.size(2), head_dim = c / num_heads;
  const auto [qs, ks, vs] = project(x);  // B x heads x N x head_dim
  torch::Tensor y;
  if (fused) {
    y = at::scaled_dot_product_attention(qs, ks, vs);
  } else {
    const auto scores = torch::matmul(qs, ks.transpose(-2, -1)) / std::sqrt(static_cast<double>(head_dim));
    y = torch::matmul(torch::softmax(scores, -1), vs);
  }
  y = y.transpose(1, 2).reshape({b, n, c});
  return proj_drop->forward(proj->forward(y));
}

}  // namespace softvit
