#include "models/attention/seqnorm_function.h"

#include "models/attention/precision.h"

namespace softvit {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

// With x^ = (x - mean) r (l2: mean = 0), S the statistics' tokens (M of them), g the output's
// gradient and dx^ = g w:
//   dx_j = r (dx^_j - [j in S] (s1 + x^_j s2) / M),   s1 = sum_n dx^_n,  s2 = sum_n dx^_n x^_n
// (l2: no s1 term), the sums over all N tokens, since every token is normalised with S's
// statistics. s1 = w sum_n g and s2 = w sum_n g x^, and the same two sums, over the batch too, are
// the bias and weight gradients.
struct SequenceNormFunction : torch::autograd::Function<SequenceNormFunction> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& weight,
                               const torch::Tensor& bias, int64_t first, bool l2, double eps) {
    const auto compute = at_least_fp32(x).scalar_type();
    const auto stats = x.narrow(2, first, x.size(2) - first).to(compute);
    torch::Tensor mean, rstd;
    if (l2) {
      rstd = (stats.square().mean(2, /*keepdim=*/true) + eps).rsqrt();
      mean = torch::zeros_like(rstd);
    } else {
      auto [var, mu] = torch::var_mean(stats, {2}, /*unbiased=*/false, /*keepdim=*/true);
      rstd = (var + eps).rsqrt();
      mean = mu;
    }
    const auto scale = rstd * weight.to(compute);
    ctx->save_for_backward({x, weight, mean, rstd});
    ctx->saved_data["first"] = first;
    ctx->saved_data["l2"] = l2;
    return torch::addcmul(bias.to(compute) - mean * scale, x, scale);  // x scale + shift, one pass
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto &x = saved[0], &weight = saved[1], &mean = saved[2], &rstd = saved[3];
    const int64_t first = ctx->saved_data["first"].toInt();
    const bool l2 = ctx->saved_data["l2"].toBool();
    const auto compute = rstd.scalar_type();
    const auto g = grads[0].to(compute);
    const auto w = weight.to(compute);
    const int64_t n = x.size(2), m = n - first;

    const auto x_hat = torch::addcmul(-mean * rstd, x, rstd);
    const auto sum_g_xhat = (g * x_hat).sum(2, /*keepdim=*/true);  // B x heads x 1 x d_h
    const auto sum_g = g.sum(2, /*keepdim=*/true);
    const auto c_xhat = rstd * w * sum_g_xhat / static_cast<double>(m);
    auto dx = g * (rstd * w);
    auto dx_stats = dx.narrow(2, first, m);
    dx_stats.addcmul_(x_hat.narrow(2, first, m), c_xhat, -1);
    if (!l2) dx_stats.sub_(rstd * w * sum_g / static_cast<double>(m));

    const auto grad_weight = sum_g_xhat.sum(0).to(weight.scalar_type());
    const auto grad_bias = sum_g.sum(0).to(weight.scalar_type());
    return {dx.to(x.scalar_type()), grad_weight, grad_bias, {}, {}, {}};
  }
};

}  // namespace

torch::Tensor sequence_norm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                            int64_t first_stat_token, bool l2, double eps) {
  TORCH_CHECK(x.dim() == 4 && first_stat_token >= 0 && first_stat_token < x.size(2),
              "sequence_norm: expects B x heads x N x d with statistics over tokens [", first_stat_token,
              ", N)");
  return SequenceNormFunction::apply(x, weight, bias, first_stat_token, l2, eps);
}

torch::Tensor sequence_norm_by_autograd(const torch::Tensor& x_in, const torch::Tensor& weight,
                                        const torch::Tensor& bias, int64_t first_stat_token, bool l2,
                                        double eps) {
  const auto x = at_least_fp32(x_in);
  const auto stats = x.narrow(2, first_stat_token, x.size(2) - first_stat_token);
  torch::Tensor y;
  if (l2) {
    y = x * (stats.square().mean(2, /*keepdim=*/true) + eps).rsqrt();
  } else {
    const auto var_mean = torch::var_mean(stats, {2}, /*unbiased=*/false, /*keepdim=*/true);
    y = (x - std::get<1>(var_mean)) * (std::get<0>(var_mean) + eps).rsqrt();
  }
  return y * weight.to(y.scalar_type()) + bias.to(y.scalar_type());
}

}  // namespace softvit
