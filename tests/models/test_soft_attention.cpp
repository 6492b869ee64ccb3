// SOFT attention against independent float64 references written out with cdist, conv2d,
// layer_norm and LAPACK inverses; the distance guard against cancellation and autocast.
#include <ATen/autocast_mode.h>

#include <cmath>

#include "catch.h"
#include "models/attention/gaussian_kernel.h"
#include "models/attention/soft.h"
#include "models/flops.h"
#include "single_thread.h"

using namespace softvit;
namespace F = torch::nn::functional;

namespace {

const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);

double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

AttentionOptions soft_options(int64_t dim, int64_t heads) {
  AttentionOptions o;
  o.dim = dim;
  o.num_heads = heads;
  return o;
}

// B x N x C -> B x heads x N x d_h
torch::Tensor heads_of(const torch::Tensor& t, int64_t heads) {
  return t.reshape({t.size(0), t.size(1), heads, t.size(2) / heads}).transpose(1, 2);
}

void copy_parameters(torch::nn::Module& from, torch::nn::Module& to) {
  torch::NoGradGuard no_grad;
  auto dst = to.named_parameters();
  for (const auto& item : from.named_parameters()) dst[item.key()].copy_(item.value());
}

torch::Tensor gauss(const torch::Tensor& a, const torch::Tensor& b) {
  return torch::exp(-0.5 * torch::cdist(a, b).square());
}

}  // namespace

TEST_CASE("gaussian kernel: the fp32 squared distance is clamped and never negative", "[models][soft]") {
  torch::manual_seed(0);
  // Large, nearly equal vectors: ||q||^2 + ||k||^2 - 2 q.k cancels catastrophically in fp32.
  const auto q = 100.0 + 1e-3 * torch::randn({64, 32});
  const auto raw = q.square().sum(-1, true) + q.square().sum(-1, true).t() - 2 * q.matmul(q.t());
  REQUIRE(raw.min().item<float>() < 0);  // the hazard is real for this input
  const auto dist = reference::squared_distance(q, q);
  CHECK(dist.scalar_type() == torch::kFloat32);
  CHECK(dist.min().item<float>() >= 0);
  CHECK(gaussian_kernel(q, q).max().item<float>() <= 1.0f);
  // Ordinary inputs: equal to the exact float64 distance to fp32 accuracy.
  const auto a = torch::randn({20, 16}), b = torch::randn({30, 16});
  const auto exact = torch::cdist(a.to(torch::kFloat64), b.to(torch::kFloat64)).square();
  CHECK(max_abs_diff(reference::squared_distance(a, b).to(torch::kFloat64), exact) < 1e-4);
}

TEST_CASE("gaussian kernel: bf16 inputs and autocast still give an fp32 distance", "[models][soft]") {
  torch::manual_seed(1);
  const auto a = torch::randn({20, 16}), b = torch::randn({30, 16});
  const auto fp32 = reference::squared_distance(a, b);
  CHECK(reference::squared_distance(a.to(torch::kBFloat16), b.to(torch::kBFloat16)).scalar_type() ==
        torch::kFloat32);
  const bool was_enabled = at::autocast::is_autocast_enabled(at::kCPU);
  at::autocast::set_autocast_enabled(at::kCPU, true);
  at::autocast::set_autocast_dtype(at::kCPU, at::kBFloat16);
  const auto control = torch::matmul(a, b.t());  // autocast really is on: this one drops to bf16
  const auto guarded = reference::squared_distance(a, b);
  at::autocast::set_autocast_enabled(at::kCPU, was_enabled);
  at::autocast::clear_cache();
  CHECK(control.scalar_type() == torch::kBFloat16);
  CHECK(guarded.scalar_type() == torch::kFloat32);
  CHECK(torch::equal(guarded, fp32));
}

TEST_CASE("soft: every token a landmark gives the exact Gaussian-kernel attention", "[models][soft]") {
  torch::manual_seed(2);
  // avgpool with sr 1 makes Q~ = Q, so K1 = A = G, the full n x n kernel, and
  // Y = G pinv(A) G V. Without the 0.01 I and with a converged inverse that is exactly G V;
  // with it, G (G + 0.01 I)^-1 G V, checked against a LAPACK solve.
  const int64_t dim = 16, heads = 2, d = 8, gh = 4, gw = 4;
  auto o = soft_options(dim, heads);
  o.landmarks = "avgpool";
  o.sr_ratio = 1;
  o.local_conv = 0;
  o.newton_regularization = 0.0;
  o.newton_iterations = 40;
  SoftAttention exact(o, false);
  exact.to(torch::kFloat64);
  o.newton_regularization = 0.01;
  o.newton_iterations = 20;
  SoftAttention regularised(o, false);
  regularised.to(torch::kFloat64);
  copy_parameters(exact, regularised);

  for (int64_t extra : {0, 1}) {  // without and with a cls token in front of the grid
    CAPTURE(extra);
    const auto x = torch::randn({2, extra + gh * gw, dim}, f64);
    torch::NoGradGuard no_grad;
    const auto q = heads_of(exact.W_q->forward(x), heads) / std::pow(d, 0.25);
    const auto v = heads_of(exact.W_v->forward(x), heads);
    const auto g_all = gauss(q, q);  // n x n over every token
    const auto grid = q.narrow(2, extra, gh * gw);
    const auto g_grid = gauss(grid, grid);
    REQUIRE(torch::linalg_eigvalsh(g_grid).min().item<double>() > 0.02);      // the inverse converges
    REQUIRE((g_grid - torch::eye(gh * gw, f64)).max().item<double>() > 0.1);  // and G is not ~ I
    auto combine = [&](const torch::Tensor& y, SoftAttention& a) {
      return a.ff->forward(y.transpose(1, 2).reshape({2, extra + gh * gw, dim}));
    };
    const auto exact_y = exact.forward(x, gh, gw);
    const auto reference = combine(torch::matmul(g_all, v), exact);
    const auto rows = exact_y.narrow(1, extra, gh * gw);  // grid rows: exact attention over all tokens
    CHECK(max_abs_diff(rows, reference.narrow(1, extra, gh * gw)) < 1e-9);

    const auto k1 = gauss(q, grid);
    const auto eye = torch::eye(gh * gw, f64);
    const auto nystrom =
        torch::matmul(k1, torch::linalg_solve(g_grid + 0.01 * eye, k1.transpose(-2, -1).matmul(v)));
    CHECK(max_abs_diff(regularised.forward(x, gh, gw), combine(nystrom, regularised)) < 1e-9);
  }
}

TEST_CASE("soft: conv landmarks and the local path equal a naive float64 reference", "[models][soft]") {
  SingleThread one_thread;
  torch::manual_seed(3);
  const int64_t dim = 16, heads = 2, d = 8, gh = 8, gw = 6, sr = 2, k = 3, b = 2;
  auto o = soft_options(dim, heads);
  o.sr_ratio = sr;
  o.local_conv = k;
  o.newton_iterations = 60;  // converged, so LAPACK's (A + 0.01 I)^-1 is the reference
  for (bool symmetric : {false, true}) {
    CAPTURE(symmetric);
    SoftAttention attn(o, symmetric);
    attn.to(torch::kFloat64);
    {
      torch::NoGradGuard no_grad;  // a non-trivial LayerNorm affine
      attn.attn->Qnorm_act[0]->as<torch::nn::LayerNorm>()->weight.uniform_(0.5, 1.5);
      attn.attn->Qnorm_act[0]->as<torch::nn::LayerNorm>()->bias.uniform_(-0.2, 0.2);
    }
    const auto x = torch::randn({b, 1 + gh * gw, dim}, f64);
    const auto y = attn.forward(x, gh, gw);

    torch::NoGradGuard no_grad;
    const auto q = heads_of(attn.W_q->forward(x), heads) / std::pow(d, 0.25);
    const auto v = heads_of(attn.W_v->forward(x), heads);
    const auto* ln = attn.attn->Qnorm_act[0]->as<torch::nn::LayerNorm>();
    auto expected = torch::zeros_like(v);
    for (int64_t s = 0; s < b; ++s)
      for (int64_t h = 0; h < heads; ++h) {
        // Landmarks: this head's grid as a d x H x W image, strided conv, LayerNorm, exact GELU.
        const auto image = q[s][h].narrow(0, 1, gh * gw).t().reshape({1, d, gh, gw});
        auto lm = F::conv2d(image, attn.attn->Qlandmark_op->weight, F::Conv2dFuncOptions().stride(sr));
        lm = lm.reshape({d, -1}).t();
        lm = torch::gelu(torch::layer_norm(lm, {d}, ln->weight, ln->bias, 1e-5));
        const auto k1 = gauss(q[s][h], lm);
        const auto a = gauss(lm, lm);
        auto inv = torch::linalg_inv(a + 0.01 * torch::eye(a.size(0), f64));
        if (symmetric) {
          const auto dd = torch::diag(a.sum(1).rsqrt());
          inv = dd.matmul(inv).matmul(dd);
        }
        auto out = k1.matmul(inv).matmul(k1.t().matmul(v[s][h]));
        // Local path: the head's one k x k filter on each of its channels' H x W value maps.
        for (int64_t c = 0; c < d; ++c) {
          const auto map = v[s][h].narrow(0, 1, gh * gw).select(1, c).reshape({1, 1, gh, gw});
          const auto filtered =
              F::conv2d(map, attn.attn->conv->weight.narrow(0, h, 1), F::Conv2dFuncOptions().padding(k / 2));
          out.narrow(0, 1, gh * gw).select(1, c).add_(filtered.reshape({gh * gw}));
        }
        expected[s][h] = out;
      }
    const auto reference = attn.ff->forward(expected.transpose(1, 2).reshape({b, 1 + gh * gw, dim}));
    CHECK(max_abs_diff(y, reference) < 1e-9);
  }
}

TEST_CASE("soft: a fixed landmark count keeps m and the cost per token constant", "[models][soft]") {
  SingleThread one_thread;
  torch::manual_seed(4);
  auto o = soft_options(16, 2);
  o.sr_ratio = 4;
  o.local_conv = 5;
  o.landmark_count = 49;
  auto fixed_count = std::make_shared<SoftAttention>(o, false);
  o.landmark_count = 0;
  auto by_stride = std::make_shared<SoftAttention>(o, false);
  copy_parameters(*fixed_count, *by_stride);
  torch::NoGradGuard no_grad;
  for (int64_t side : {5, 28, 56, 100}) {
    const auto q = torch::randn({1, 2, side * side, 8});
    CHECK(fixed_count->attn->landmarks(q, side, side).size(2) == std::min<int64_t>(49, side * side));
    CHECK(by_stride->attn->landmarks(q, side, side).size(2) == std::max<int64_t>(1, (side / 4) * (side / 4)));
  }
  // At 7 x sr tokens per side nothing is pooled: the two modes compute the same thing.
  const auto x = torch::randn({1, 28 * 28, 16});
  CHECK(max_abs_diff(fixed_count->forward(x, 28, 28), by_stride->forward(x, 28, 28)) < 1e-5);
  // Cost = a n + c with 49 landmarks: each doubling of the side adds 4x the previous increment
  // (c holds the landmark conv, the m x m products and the Newton iterations, whose count stays
  // fixed). By stride, m grows with n and so does the cost per token.
  auto macs = [&](SoftAttention& a, int64_t side) {
    const auto input = torch::randn({1, side * side, 16});
    return count_macs([&] { a.forward(input, side, side); });
  };
  auto growth = [&](SoftAttention& a) {
    const auto small = macs(a, 14), medium = macs(a, 28), large = macs(a, 56);
    return static_cast<double>(large.total - medium.total) / static_cast<double>(medium.total - small.total);
  };
  CHECK(macs(*fixed_count, 56).newton == macs(*fixed_count, 14).newton);
  CHECK(growth(*fixed_count) == Approx(4.0).epsilon(0.01));
  CHECK(growth(*by_stride) > 8.0);
}

TEST_CASE("soft: bad settings are configuration errors", "[models][soft]") {
  auto o = soft_options(16, 2);
  o.landmarks = "maxpool";
  CHECK_THROWS_WITH(SoftAttention(o, false), Catch::Contains("maxpool"));
  o = soft_options(16, 2);
  o.landmark_count = 50;
  CHECK_THROWS_WITH(SoftAttention(o, false), Catch::Contains("50"));
  o = soft_options(16, 2);
  o.local_conv = 4;
  CHECK_THROWS_WITH(SoftAttention(o, false), Catch::Contains("odd"));
}
