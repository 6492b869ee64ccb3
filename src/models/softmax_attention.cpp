#include "models/softmax_attention.h"

namespace softvit {

SoftmaxAttention::SoftmaxAttention(int64_t dim, int64_t heads, bool qkv_bias, double drop)
    : num_heads(heads) {
  TORCH_CHECK(dim % heads == 0, "attention width ", dim, " is not divisible by ", heads, " heads");
  qkv = register_module("qkv", torch::nn::Linear(torch::nn::LinearOptions(dim, 3 * dim).bias(qkv_bias)));
  proj = register_module("proj", torch::nn::Linear(dim, dim));
  proj_drop = register_module("proj_drop", torch::nn::Dropout(drop));
}

torch::Tensor SoftmaxAttention::forward(const torch::Tensor& x, int64_t, int64_t) {
  const auto b = x.size(0), n = x.size(1), c = x.size(2);
  // B x N x 3C -> 3 x B x heads x N x head_dim
  auto q_k_v = qkv->forward(x).reshape({b, n, 3, num_heads, c / num_heads}).permute({2, 0, 3, 1, 4});
  auto y = at::scaled_dot_product_attention(q_k_v[0], q_k_v[1], q_k_v[2]);
  y = y.transpose(1, 2).reshape({b, n, c});
  return proj_drop->forward(proj->forward(y));
}

}  // namespace softvit
