#include "models/attention/sima.h"

#include "core/error.h"
#include "core/strings.h"
#include "models/attention/precision.h"

namespace softvit {

SimaAttention::SimaAttention(const AttentionOptions& o) : num_heads(o.num_heads) {
  if (o.dim % o.num_heads != 0)
    throw ConfigError(cat("sima attention: width ", o.dim, " is not divisible by ", o.num_heads, " heads"));
  qkv = register_module("qkv", Linear(torch::nn::LinearOptions(o.dim, 3 * o.dim).bias(o.qkv_bias)));
  proj = register_module("proj", Linear(o.dim, o.dim));
  proj_drop = register_module("proj_drop", torch::nn::Dropout(o.proj_drop));
}

torch::Tensor SimaAttention::forward(const torch::Tensor& x, int64_t, int64_t) {
  const auto b = x.size(0), n = x.size(1), c = x.size(2), head_dim = c / num_heads;
  auto q_k_v = qkv->forward(x).reshape({b, n, 3, num_heads, head_dim}).permute({2, 0, 3, 1, 4}).unbind(0);
  torch::Tensor y;
  {
    NoAutocast fp32;
    auto l1_normalise = [](const torch::Tensor& t) {
      const auto f = at_least_fp32(t);
      return f / f.abs().sum(2, /*keepdim=*/true).clamp_min(1e-12);
    };
    const auto q = l1_normalise(q_k_v[0]), k = l1_normalise(q_k_v[1]);
    const auto v = at_least_fp32(q_k_v[2]);
    y = n < head_dim ? torch::matmul(torch::matmul(q, k.transpose(-2, -1)), v)
                     : torch::matmul(q, torch::matmul(k.transpose(-2, -1), v));
  }
  y = y.to(x.scalar_type()).transpose(1, 2).reshape({b, n, c});
  return proj_drop->forward(proj->forward(y));
}

}  // namespace softvit
