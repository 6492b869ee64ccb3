// sequence_norm's closed-form backward against autograd through the formula written out, in
// float64, for both statistics, with the statistics over all tokens and over the grid only; and its
// bf16 path against the fp64 reference.
#include "catch.h"
#include "models/attention/seqnorm_function.h"

using namespace softvit;

namespace {

const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);

double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

// The formula by autograd: sums over the statistics' tokens, every token normalised with them.
torch::Tensor reference(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b, int64_t first,
                        bool l2, double eps) {
  const auto stats = x.narrow(2, first, x.size(2) - first);
  const double count = static_cast<double>(stats.size(2));
  torch::Tensor z;
  if (l2) {
    z = x / torch::sqrt(stats.square().sum(2, true) / count + eps);
  } else {
    const auto mean = stats.sum(2, true) / count;
    z = (x - mean) / torch::sqrt((stats - mean).square().sum(2, true) / count + eps);
  }
  return z * w + b;
}

struct Grads {
  torch::Tensor y, dx, dw, db;
};

template <typename F>
Grads run(F&& f, const torch::Tensor& x0, const torch::Tensor& w0, const torch::Tensor& b0,
          const torch::Tensor& upstream) {
  auto x = x0.detach().clone().requires_grad_(true);
  auto w = w0.detach().clone().requires_grad_(true);
  auto b = b0.detach().clone().requires_grad_(true);
  auto y = f(x, w, b);
  (y * upstream.to(y.scalar_type())).sum().backward();
  return {y.detach(), x.grad(), w.grad(), b.grad()};
}

}  // namespace

TEST_CASE("sequence_norm: forward and gradients equal autograd through the formula", "[models][seqnorm]") {
  torch::manual_seed(0);
  const int64_t batch = 3, heads = 2, n = 13, d = 5;
  const auto x = torch::randn({batch, heads, n, d}, f64) * 2 + 0.7;
  const auto w = torch::rand({heads, 1, d}, f64) + 0.5;
  const auto b = torch::randn({heads, 1, d}, f64);
  const auto upstream = torch::randn({batch, heads, n, d}, f64);
  for (bool l2 : {false, true})
    for (int64_t first : {0, 1, 4}) {
      CAPTURE(l2, first);
      const auto fused =
          run([&](auto& xx, auto& ww, auto& bb) { return sequence_norm(xx, ww, bb, first, l2, 1e-5); }, x, w,
              b, upstream);
      const auto ref =
          run([&](auto& xx, auto& ww, auto& bb) { return reference(xx, ww, bb, first, l2, 1e-5); }, x, w, b,
              upstream);
      CHECK(max_abs_diff(fused.y, ref.y) < 1e-12);
      CHECK(max_abs_diff(fused.dx, ref.dx) < 1e-12);
      CHECK(max_abs_diff(fused.dw, ref.dw) < 1e-11);
      CHECK(max_abs_diff(fused.db, ref.db) < 1e-11);
      const auto by_autograd =
          run([&](auto& xx, auto& ww,
                  auto& bb) { return sequence_norm_by_autograd(xx, ww, bb, first, l2, 1e-5); },
              x, w, b, upstream);  // the A/B switch's path
      CHECK(max_abs_diff(by_autograd.y, ref.y) < 1e-12);
      CHECK(max_abs_diff(by_autograd.dx, ref.dx) < 1e-12);
      // The statistics' tokens and the others get different gradients: the test sees the split.
      if (first > 0) CHECK(ref.dx.narrow(2, 0, first).abs().max().item<double>() > 0);
    }
}

TEST_CASE("sequence_norm: bf16 input is computed in fp32 and its gradient returned in bf16",
          "[models][seqnorm]") {
  torch::manual_seed(1);
  const auto x = (torch::randn({2, 3, 50, 8}, f64) * 3 + 1).to(torch::kBFloat16);
  const auto w = torch::rand({3, 1, 8}) + 0.5;  // fp32 parameters, as in a model
  const auto b = torch::randn({3, 1, 8});
  const auto upstream = torch::randn({2, 3, 50, 8}, f64);
  const auto half =
      run([](auto& xx, auto& ww, auto& bb) { return sequence_norm(xx, ww, bb, 1, false, 1e-5); }, x, w, b,
          upstream);
  CHECK(half.y.scalar_type() == torch::kFloat32);
  CHECK(half.dx.scalar_type() == torch::kBFloat16);
  CHECK(half.dw.scalar_type() == torch::kFloat32);
  // Reference: the same bf16 values in fp64.
  const auto ref = run([](auto& xx, auto& ww, auto& bb) { return reference(xx, ww, bb, 1, false, 1e-5); },
                       x.to(torch::kFloat64), w.to(torch::kFloat64), b.to(torch::kFloat64), upstream);
  CHECK(max_abs_diff(half.y, ref.y) < 1e-5);
  CHECK(max_abs_diff(half.dx, ref.dx) < 2e-2 * ref.dx.abs().max().item<double>());  // bf16 rounding of dx
  CHECK(max_abs_diff(half.dw, ref.dw) < 1e-3);
}
