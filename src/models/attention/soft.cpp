#include "models/attention/soft.h"

#include <cmath>

#include "core/error.h"
#include "core/strings.h"
#include "models/attention/depthwise_conv.h"
#include "models/attention/gaussian_kernel.h"
#include "models/attention/precision.h"
#include "models/layer_norm.h"

namespace softvit {
namespace {

namespace F = torch::nn::functional;

int64_t square_side(int64_t count) {
  const auto side = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(count))));
  if (side * side != count)
    throw ConfigError(cat("soft attention: landmark_count ", count, " is not a square (7x7 = 49, ...)"));
  return side;
}

torch::Tensor pool_to(const torch::Tensor& map, int64_t h, int64_t w) {
  if (map.size(-2) == h && map.size(-1) == w) return map;
  return F::adaptive_avg_pool2d(map, F::AdaptiveAvgPool2dFuncOptions({h, w}));
}

void check_options(const AttentionOptions& o) {
  if (o.dim % o.num_heads != 0)
    throw ConfigError(cat("soft attention: width ", o.dim, " is not divisible by ", o.num_heads, " heads"));
  if (o.landmarks != "conv" && o.landmarks != "avgpool")
    throw ConfigError(cat("soft attention: landmarks must be conv or avgpool, got '", o.landmarks, "'"));
  if (o.sr_ratio < 1) throw ConfigError(cat("soft attention: sr_ratio must be at least 1, got ", o.sr_ratio));
  if (o.local_conv < 0 || (o.local_conv > 0 && o.local_conv % 2 == 0))
    throw ConfigError(cat("soft attention: local_conv must be 0 or odd, got ", o.local_conv));
  if (o.landmark_count < 0) throw ConfigError("soft attention: landmark_count must not be negative");
  if (o.landmark_count > 0) square_side(o.landmark_count);
  if (o.newton_iterations < 1) throw ConfigError("soft attention: newton_iterations must be at least 1");
}

}  // namespace

std::pair<int64_t, int64_t> landmark_grid(int64_t grid_h, int64_t grid_w, int64_t sr_ratio,
                                          int64_t landmark_count) {
  if (landmark_count > 0) {
    const int64_t side = square_side(landmark_count);
    return {std::min(side, grid_h), std::min(side, grid_w)};
  }
  return {std::max<int64_t>(1, grid_h / sr_ratio), std::max<int64_t>(1, grid_w / sr_ratio)};
}

SoftKernel::SoftKernel(const AttentionOptions& o, bool symmetric)
    : num_heads(o.num_heads),
      head_dim(o.dim / o.num_heads),
      sr_ratio(o.sr_ratio),
      landmark_count(o.landmark_count),
      use_conv_landmarks(o.landmarks == "conv"),
      symmetric_norm(symmetric),
      newton{o.newton_iterations, o.newton_regularization} {
  if (use_conv_landmarks) {
    Qlandmark_op = register_module(
        "Qlandmark_op",
        torch::nn::Conv2d(
            torch::nn::Conv2dOptions(head_dim, head_dim, sr_ratio).stride(sr_ratio).bias(false)));
    Qnorm_act = register_module("Qnorm_act", torch::nn::Sequential(LayerNorm(head_dim), torch::nn::GELU()));
  }
  if (o.local_conv > 0)
    conv =
        register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(num_heads, num_heads, o.local_conv)
                                                      .padding(o.local_conv / 2)
                                                      .groups(num_heads)
                                                      .bias(false)));
}

torch::Tensor SoftKernel::landmarks(const torch::Tensor& q, int64_t grid_h, int64_t grid_w) {
  const int64_t b = q.size(0), n = q.size(2), tokens = grid_h * grid_w;
  // Grid tokens of every (sample, head) as a d_h x H x W map: the heads share the sampler.
  auto map = q.narrow(2, n - tokens, tokens)
                 .reshape({b * num_heads, grid_h, grid_w, head_dim})
                 .permute({0, 3, 1, 2});
  const auto [lh, lw] = landmark_grid(grid_h, grid_w, sr_ratio, landmark_count);
  torch::Tensor sampled = use_conv_landmarks
                              ? Qlandmark_op->forward(pool_to(map, lh * sr_ratio, lw * sr_ratio))
                              : pool_to(map, lh, lw);
  sampled = sampled.flatten(2).transpose(1, 2).reshape({b, num_heads, lh * lw, head_dim});
  return use_conv_landmarks ? Qnorm_act->forward(sampled) : sampled;
}

std::array<torch::Tensor, 2> SoftKernel::nystrom_factors(const torch::Tensor& q_in, int64_t grid_h,
                                                         int64_t grid_w, bool autocast_k1) {
  const auto q = q_in / std::pow(static_cast<double>(head_dim), 0.25);
  const auto lm = landmarks(q, grid_h, grid_w);
  const auto k1 = gaussian_kernel(q, lm, autocast_k1);  // B x h x n x m
  const auto a = gaussian_kernel(lm, lm);               // B x h x m x m
  auto inv = newton_pinv(a, newton);
  if (symmetric_norm) {
    const auto d = a.sum(-1, /*keepdim=*/true).rsqrt();  // D^-1/2 as a column
    inv = d * inv * d.transpose(-2, -1);
  }
  return {k1, inv};
}

torch::Tensor SoftKernel::forward(const torch::Tensor& q_in, const torch::Tensor& v, int64_t grid_h,
                                  int64_t grid_w) {
  const int64_t b = q_in.size(0), n = q_in.size(2), tokens = grid_h * grid_w;
  TORCH_CHECK(tokens > 0 && tokens <= n, "soft attention: grid ", grid_h, "x", grid_w, " does not fit ", n,
              " tokens");
  // K1: fp32 (fp64 in tests), or bf16 under bf16 autocast (it only feeds the matmuls)
  const auto [k1, inv] = nystrom_factors(q_in, grid_h, grid_w, /*autocast_k1=*/true);
  const auto kv = torch::matmul(k1.transpose(-2, -1), v.to(k1.scalar_type()));  // m x d_h, the n-sum
  torch::Tensor inv_kv;
  {
    NoAutocast fp32;  // m x m x d_h: cheap, and the inverse has entries up to 1/reg
    inv_kv = torch::matmul(inv, at_least_fp32(kv));
  }
  auto y = torch::matmul(k1, inv_kv).to(v.scalar_type());
  if (!conv) return y;

  // Local path: one k x k filter per head on each of its d_h channels' H x W maps, run as a
  // depthwise conv over all heads x d_h channels with the head's filter repeated. V's memory is
  // B x N x C (the heads are a transposed view), so the map is a channels-last view without a
  // copy. On a GPU, builds with the CUDA kernels run the conv as the fused NHWC kernel
  // (kernels/depthwise_conv.h: cuDNN's grouped kernels took a quarter of a SOFT-Tiny step on an
  // H200); everything else runs conv2d.
  const int64_t channels = num_heads * head_dim;
  const auto map = v.narrow(2, n - tokens, tokens)
                       .transpose(1, 2)
                       .reshape({b, grid_h, grid_w, channels})
                       .permute({0, 3, 1, 2})
                       .contiguous(torch::MemoryFormat::ChannelsLast);
  const auto filters = conv->weight.repeat_interleave(head_dim, 0);  // C x 1 x k x k
  auto local = depthwise_conv2d(map, filters);
  local = local.permute({0, 2, 3, 1}).reshape({b, tokens, num_heads, head_dim}).transpose(1, 2);
  if (tokens == n) return y + local;
  return torch::cat({y.narrow(2, 0, n - tokens), y.narrow(2, n - tokens, tokens) + local}, 2);
}

torch::Tensor SoftKernel::mixing_operator(const torch::Tensor& q_in, int64_t grid_h, int64_t grid_w) {
  const int64_t n = q_in.size(2), tokens = grid_h * grid_w;
  const auto [k1, inv] = nystrom_factors(q_in, grid_h, grid_w, /*autocast_k1=*/false);
  auto mixing = torch::matmul(torch::matmul(k1, inv), k1.transpose(-2, -1));
  if (!conv) return mixing;
  // The local path on one-hot maps: column m of head h's matrix is its filter's response to
  // token m alone (the same filter on each of the head's channels, so one matrix per head).
  const int64_t k = conv->weight.size(-1);
  const auto one_hot = torch::eye(tokens, q_in.options())
                           .reshape({tokens, 1, grid_h, grid_w})
                           .expand({tokens, num_heads, grid_h, grid_w})
                           .contiguous();
  const auto response = F::conv2d(one_hot, conv->weight.to(q_in.scalar_type()),
                                  F::Conv2dFuncOptions().padding(k / 2).groups(num_heads));
  const auto local = response.flatten(2).permute({1, 2, 0});  // heads x n (output) x m (input)
  const auto padded = torch::constant_pad_nd(local, {n - tokens, 0, n - tokens, 0});
  return mixing + padded.unsqueeze(0);
}

torch::Tensor SoftAttention::forward_with_operator(const torch::Tensor& x, int64_t grid_h, int64_t grid_w,
                                                   torch::Tensor* mixing) {
  const auto b = x.size(0), n = x.size(1), c = x.size(2);
  auto split = [&](const torch::Tensor& t) {
    return t.reshape({b, n, num_heads, c / num_heads}).transpose(1, 2);
  };
  *mixing = attn->mixing_operator(split(W_q->forward(x)), grid_h, grid_w);
  const auto y = torch::matmul(*mixing, split(W_v->forward(x)).to(mixing->scalar_type()));
  return ff->forward(y.to(x.scalar_type()).transpose(1, 2).reshape({b, n, c}));
}

SoftAttention::SoftAttention(const AttentionOptions& o, bool symmetric_norm) : num_heads(o.num_heads) {
  check_options(o);
  W_q = register_module("W_q", Linear(o.dim, o.dim));
  W_v = register_module("W_v", Linear(o.dim, o.dim));
  attn = register_module("attn", std::make_shared<SoftKernel>(o, symmetric_norm));
  ff = register_module("ff", Linear(o.dim, o.dim));
}

torch::Tensor SoftAttention::forward(const torch::Tensor& x, int64_t grid_h, int64_t grid_w) {
  const auto b = x.size(0), n = x.size(1), c = x.size(2);
  auto split = [&](const torch::Tensor& t) {
    return t.reshape({b, n, num_heads, c / num_heads}).transpose(1, 2);
  };
  auto y = attn->forward(split(W_q->forward(x)), split(W_v->forward(x)), grid_h, grid_w);
  return ff->forward(y.transpose(1, 2).reshape({b, n, c}));
}

}  // namespace softvit
