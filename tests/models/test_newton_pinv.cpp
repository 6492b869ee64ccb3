// Newton pseudo-inverse against LAPACK (torch::linalg_pinv / inv) and its analytic backward
// against central finite differences, all in float64.
#include "catch.h"
#include "models/attention/gaussian_kernel.h"
#include "models/attention/newton_pinv.h"
#include "single_thread.h"

using namespace softvit;

namespace {

const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);

// exp(-||x_i - x_j||^2 / 2) written out with cdist, independent of gaussian_kernel().
torch::Tensor kernel_matrix(const torch::Tensor& x) { return torch::exp(-0.5 * torch::cdist(x, x).square()); }

double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

torch::Tensor random_spd(int64_t m, double lo, double hi) {
  const auto q = std::get<0>(torch::linalg_qr(torch::randn({m, m}, f64)));
  const auto lambda = torch::rand({m}, f64) * (hi - lo) + lo;
  return q.matmul(torch::diag(lambda)).matmul(q.t());
}

}  // namespace

TEST_CASE("newton pinv: equals linalg_pinv on random SPD matrices", "[models][newton]") {
  SingleThread one_thread;
  torch::manual_seed(0);
  const auto a = torch::stack({random_spd(16, 0.5, 2.0), random_spd(16, 0.2, 3.0)});  // batched
  // Without the regularisation it is the exact inverse; with it, the inverse of A + 0.01 I.
  CHECK(max_abs_diff(newton_pinv_value(a, {30, 0.0}), torch::linalg_pinv(a)) < 1e-10);
  const auto eye = torch::eye(16, f64);
  CHECK(max_abs_diff(newton_pinv_value(a, {20, 0.01}), torch::linalg_pinv(a + 0.01 * eye)) < 1e-10);
}

TEST_CASE("newton pinv: converges to the Moore-Penrose inverse of a singular kernel matrix",
          "[models][newton]") {
  torch::manual_seed(1);
  // Four duplicated landmarks: a 16 x 16 Gaussian kernel matrix of rank 12.
  auto x = torch::randn({12, 32}, f64) * 0.2;
  x = torch::cat({x, x.narrow(0, 0, 4)});
  const auto a = kernel_matrix(x);
  REQUIRE(torch::linalg_matrix_rank(a, 1e-10, /*hermitian=*/true).item<int64_t>() == 12);
  const auto pinv = torch::linalg_pinv(a, 1e-10, /*hermitian=*/true);
  CHECK(max_abs_diff(newton_pinv_value(a, {20, 0.0}), pinv) < 1e-10);
}

TEST_CASE("newton pinv: near-singular Gaussian kernel matrices", "[models][newton]") {
  SingleThread one_thread;
  torch::manual_seed(2);
  const auto eye = torch::eye(49, f64);
  // 49 landmarks around 5 centres, as conv landmarks of a smooth image tend to be.
  auto clustered = [](double spread) {
    const auto centres = torch::randn({5, 32}, f64) * (2 * spread);
    return centres.index_select(0, torch::randint(0, 5, {49}, torch::kLong)) +
           torch::randn({49, 32}, f64) * (spread / 2);
  };
  SECTION("moderately clustered: 20 iterations reach the inverse of A + 0.01 I") {
    const auto a = kernel_matrix(clustered(0.2));
    CHECK(torch::linalg_eigvalsh(a).min().item<double>() < 0.2);  // ill-conditioned enough to matter
    const auto reference = torch::linalg_pinv(a + 0.01 * eye);
    CHECK(max_abs_diff(newton_pinv_value(a), reference) < 1e-8 * reference.abs().max().item<double>());
  }
  SECTION("tightly clustered: not converged on the smallest eigenvalues but a pseudo-inverse (A V A = A)") {
    // Eigenvalues below ~1e-2 get less than 1/(lambda + 0.01) from 20 iterations: the iteration
    // acts as a spectral cut-off, and what it has converged on satisfies A V A = A up to the
    // regularisation (|lambda - lambda^2 / (lambda + 0.01)| < 0.01).
    const auto a = kernel_matrix(clustered(0.05));
    CHECK(torch::linalg_eigvalsh(a).min().item<double>() < 1e-2);
    const auto v = newton_pinv_value(a);
    CHECK(max_abs_diff(v, v.t()) < 1e-10);
    CHECK(max_abs_diff(a.matmul(v).matmul(a), a) < 0.011);
  }
}

TEST_CASE("newton pinv: analytic backward equals finite differences", "[models][newton]") {
  torch::manual_seed(3);
  const int64_t m = 6;
  const auto base = random_spd(m, 0.5, 1.5);
  const auto weights = torch::randn({m, m}, f64);  // L = sum(W * pinv(A)); dL/dV = W, not symmetric
  auto loss = [&](const torch::Tensor& a) { return (weights * newton_pinv(a)).sum(); };

  auto a = base.clone().requires_grad_(true);
  loss(a).backward();
  const auto analytic = a.grad();

  const double eps = 1e-6;
  auto numeric = torch::zeros({m, m}, f64);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < m; ++j) {  // every entry, so non-symmetric directions too
      auto plus = base.clone(), minus = base.clone();
      plus[i][j] += eps;
      minus[i][j] -= eps;
      numeric[i][j] = (loss(plus) - loss(minus)).item<double>() / (2 * eps);
    }
  CHECK(max_abs_diff(analytic, numeric) < 1e-7);
}

TEST_CASE("newton pinv: the iterations are not recorded by autograd", "[models][newton]") {
  const auto a = (random_spd(8, 0.5, 1.5)).requires_grad_(true);
  const auto v = newton_pinv(a);
  REQUIRE(v.grad_fn());
  // One custom node leading straight to A: nothing from the 20 iterations is kept.
  CHECK(v.grad_fn()->name().find("NewtonPinvFunction") != std::string::npos);
  REQUIRE(v.grad_fn()->next_edges().size() == 1);
  CHECK(v.grad_fn()->next_edges()[0].function->name() == "torch::autograd::AccumulateGrad");
}
