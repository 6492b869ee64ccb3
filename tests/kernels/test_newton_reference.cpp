// The Newton iteration's reference path (newton_pinv_value off CUDA; what the fused CUDA kernel is
// checked against) against the same iteration written as explicit float64 loops, and against
// LAPACK's pseudo-inverse on well-conditioned matrices of awkward sizes.
#include <algorithm>
#include <cmath>
#include <vector>

#include "catch.h"
#include "models/attention/newton_pinv.h"
#include "models/single_thread.h"

using namespace softvit;

namespace {

const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);

using Matrix = std::vector<double>;  // m x m, row-major

Matrix multiply(const Matrix& x, const Matrix& y, int64_t m) {
  Matrix z(x.size(), 0.0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t k = 0; k < m; ++k)
      for (int64_t j = 0; j < m; ++j) z[i * m + j] += x[i * m + k] * y[k * m + j];
  return z;
}

// P = A + reg I, alpha = 1.8 / (max_i sum_j |A_ij|)^2, V = alpha P, V <- 2V - (V P) V; per matrix.
torch::Tensor naive_newton(const torch::Tensor& a_in, int64_t iterations, double reg) {
  const auto a = a_in.to(torch::kFloat64).contiguous();
  const int64_t m = a.size(-1), count = a.numel() / (m * m);
  auto out = torch::empty_like(a);
  for (int64_t s = 0; s < count; ++s) {
    const double* src = a.data_ptr<double>() + s * m * m;
    Matrix p(src, src + m * m);
    double max_row = 0;
    for (int64_t i = 0; i < m; ++i) {
      double row = 0;
      for (int64_t j = 0; j < m; ++j) row += std::abs(p[i * m + j]);
      max_row = std::max(max_row, row);
      p[i * m + i] += reg;
    }
    const double alpha = 1.8 / (max_row * max_row);
    Matrix v(p);
    for (auto& x : v) x *= alpha;
    for (int64_t it = 0; it < iterations; ++it) {
      const auto vpv = multiply(multiply(v, p, m), v, m);
      for (size_t e = 0; e < v.size(); ++e) v[e] = 2 * v[e] - vpv[e];
    }
    std::copy(v.begin(), v.end(), out.data_ptr<double>() + s * m * m);
  }
  return out;
}

// Random symmetric matrices with eigenvalues in [lo, hi], batch x m x m.
torch::Tensor random_spd(std::vector<int64_t> batch, int64_t m, double lo, double hi) {
  auto sizes = batch;
  sizes.insert(sizes.end(), {m, m});
  const auto q = std::get<0>(torch::linalg_qr(torch::randn(sizes, f64)));
  batch.push_back(m);
  const auto lambda = torch::rand(batch, f64) * (hi - lo) + lo;
  return (q * lambda.unsqueeze(-2)).matmul(q.transpose(-2, -1));
}

double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

}  // namespace

TEST_CASE("newton reference: equals the iteration written as float64 loops", "[kernels][newton]") {
  SingleThread one_thread;
  torch::manual_seed(20);
  for (int64_t m : {1, 5, 49}) {
    // Kernel matrices (positive entries) and general ones (negative entries: the |A| in the row sum).
    const auto x = torch::randn({2, 3, m, 8}, f64) * 0.5;
    const auto kernel = torch::exp(-0.5 * torch::cdist(x, x).square());
    const auto general = torch::randn({2, 3, m, m}, f64);
    for (const auto& a : {kernel, general})
      for (int64_t iterations : {0, 1, 3, 20}) {
        // From V0 = alpha P (not alpha P^T) only symmetric matrices converge: a few steps of a
        // general one still check the arithmetic, more would overflow.
        if (a.is_same(general) && iterations > 3) continue;
        INFO("m " << m << " iterations " << iterations);
        const auto expected = naive_newton(a, iterations, 0.01);
        const auto got = newton_pinv_value(a, {iterations, 0.01});
        CHECK(max_abs_diff(got, expected) < 1e-10 * std::max(1.0, expected.abs().max().item<double>()));
      }
  }
}

TEST_CASE("newton reference: converges to linalg_pinv on well-conditioned matrices", "[kernels][newton]") {
  SingleThread one_thread;
  torch::manual_seed(21);
  for (int64_t m : {1, 5, 49}) {
    INFO("m " << m);
    const auto a = random_spd({2, 3}, m, 0.5, 2.0);
    const auto eye = torch::eye(m, f64);
    CHECK(max_abs_diff(newton_pinv_value(a, {20, 0.01}), torch::linalg_pinv(a + 0.01 * eye)) < 1e-9);
    // fp32 input: computed in fp32, within fp32 accuracy of the float64 inverse.
    const auto v32 = newton_pinv_value(a.to(torch::kFloat32), {20, 0.01});
    CHECK(v32.scalar_type() == torch::kFloat32);
    CHECK(max_abs_diff(v32, torch::linalg_pinv(a + 0.01 * eye)) < 1e-4);
  }
}
