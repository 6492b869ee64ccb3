#include "models/attention/seqnorm.h"

#include "core/error.h"
#include "core/strings.h"
#include "kernels/gaussian_kernel.h"
#include "models/attention/precision.h"
#include "models/attention/seqnorm_function.h"

namespace softvit {

SequenceNorm::SequenceNorm(int64_t num_heads, int64_t head_dim, std::string stat, double eps_, bool extra)
    : statistic(std::move(stat)), eps(eps_), use_extra_tokens(extra) {
  if (statistic != "standardise" && statistic != "l2")
    throw ConfigError(cat("seqnorm attention: statistic must be standardise or l2, got '", statistic, "'"));
  if (!(eps > 0)) throw ConfigError(cat("seqnorm attention: eps must be positive, got ", eps));
  weight = register_parameter("weight", torch::ones({num_heads, 1, head_dim}));
  bias = register_parameter("bias", torch::zeros({num_heads, 1, head_dim}));
}

torch::Tensor SequenceNorm::forward(const torch::Tensor& x, int64_t extra_tokens) {
  NoAutocast fp32;
  static const bool by_autograd = kernels::switched_off_by_env("SOFTVIT_FUSED_SEQNORM") ||
                                  kernels::switched_off_by_env("SOFTVIT_FUSED_KERNELS");
  const auto norm = by_autograd ? sequence_norm_by_autograd : sequence_norm;
  return norm(x, weight, bias, use_extra_tokens ? 0 : extra_tokens, statistic == "l2", eps);
}

SeqNormAttention::SeqNormAttention(const AttentionOptions& o) : num_heads(o.num_heads) {
  if (o.dim % o.num_heads != 0)
    throw ConfigError(
        cat("seqnorm attention: width ", o.dim, " is not divisible by ", o.num_heads, " heads"));
  const int64_t head_dim = o.dim / o.num_heads;
  qkv = register_module("qkv", Linear(torch::nn::LinearOptions(o.dim, 3 * o.dim).bias(o.qkv_bias)));
  auto norm = [&] {
    return std::make_shared<SequenceNorm>(o.num_heads, head_dim, o.seqnorm_stat, o.seqnorm_eps,
                                          o.seqnorm_cls);
  };
  q_norm = register_module("q_norm", norm());
  k_norm = register_module("k_norm", norm());
  v_norm = register_module("v_norm", norm());
  proj = register_module("proj", Linear(o.dim, o.dim));
  proj_drop = register_module("proj_drop", torch::nn::Dropout(o.proj_drop));
}

torch::Tensor SeqNormAttention::forward(const torch::Tensor& x, int64_t grid_h, int64_t grid_w) {
  const auto b = x.size(0), n = x.size(1), c = x.size(2);
  const int64_t extra = n - grid_h * grid_w;
  TORCH_CHECK(extra >= 0 && extra < n, "seqnorm attention: grid ", grid_h, "x", grid_w, " does not fit ", n,
              " tokens");
  auto q_k_v =
      qkv->forward(x).reshape({b, n, 3, num_heads, c / num_heads}).permute({2, 0, 3, 1, 4}).unbind(0);
  const auto q = q_norm->forward(q_k_v[0], extra);
  const auto k = k_norm->forward(q_k_v[1], extra);
  const auto v = v_norm->forward(q_k_v[2], extra);
  torch::Tensor kv;
  {
    NoAutocast fp32;                                                      // the n-sum
    kv = torch::matmul(k.transpose(-2, -1), v) / static_cast<double>(n);  // d_h x d_h per head
  }
  auto y = torch::matmul(q, kv).to(x.scalar_type());
  return proj_drop->forward(proj->forward(y.transpose(1, 2).reshape({b, n, c})));
}

}  // namespace softvit
