// The Gaussian kernel's reference path (what runs on the CPU and what the fused CUDA kernel is
// checked against) against explicit float64 loops, and the backward formula the CUDA kernel
// implements against autograd and finite differences.
#include <cmath>
#include <tuple>
#include <vector>

#include "catch.h"
#include "models/attention/gaussian_kernel.h"
#include "models/single_thread.h"

using namespace softvit;

namespace {

const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);

// exp(-sum_c (q_c - k_c)^2 / 2) by explicit loops over a flattened batch: b x n x d, b x m x d.
torch::Tensor naive_gaussian(const torch::Tensor& q_in, const torch::Tensor& k_in) {
  const auto q = q_in.to(torch::kFloat64).contiguous(), k = k_in.to(torch::kFloat64).contiguous();
  const int64_t n = q.size(-2), m = k.size(-2), d = q.size(-1), b = q.numel() / (n * d);
  const double* qp = q.data_ptr<double>();
  const double* kp = k.data_ptr<double>();
  std::vector<double> out(static_cast<size_t>(b * n * m));
  for (int64_t s = 0; s < b; ++s)
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < m; ++j) {
        double dist = 0;
        for (int64_t c = 0; c < d; ++c) {
          const double diff = qp[(s * n + i) * d + c] - kp[(s * m + j) * d + c];
          dist += diff * diff;
        }
        out[static_cast<size_t>((s * n + i) * m + j)] = std::exp(-dist / 2);
      }
  auto sizes = q.sizes().vec();
  sizes.back() = m;
  return torch::tensor(out, f64).reshape(sizes);
}

// The backward the CUDA kernel computes, by explicit loops: g = dout * out,
// dq_i = sum_j g_ij k_j - q_i sum_j g_ij,  dk_j = sum_i g_ij q_i - k_j sum_i g_ij.
std::pair<torch::Tensor, torch::Tensor> naive_backward(const torch::Tensor& dout, const torch::Tensor& q,
                                                       const torch::Tensor& k) {
  const auto out = naive_gaussian(q, k);
  const int64_t n = q.size(-2), m = k.size(-2), d = q.size(-1), b = q.numel() / (n * d);
  const auto g = (dout * out).reshape({b, n, m}).contiguous();
  const auto qf = q.reshape({b, n, d}).contiguous(), kf = k.reshape({b, m, d}).contiguous();
  auto dq = torch::zeros({b, n, d}, f64), dk = torch::zeros({b, m, d}, f64);
  auto ga = g.accessor<double, 3>(), qa = qf.accessor<double, 3>(), ka = kf.accessor<double, 3>();
  auto dqa = dq.accessor<double, 3>(), dka = dk.accessor<double, 3>();
  for (int64_t s = 0; s < b; ++s)
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < m; ++j)
        for (int64_t c = 0; c < d; ++c) {
          dqa[s][i][c] += ga[s][i][j] * (ka[s][j][c] - qa[s][i][c]);
          dka[s][j][c] += ga[s][i][j] * (qa[s][i][c] - ka[s][j][c]);
        }
  return {dq.reshape(q.sizes()), dk.reshape(k.sizes())};
}

double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

// Inputs at SOFT's scale (queries divided by d^(1/4)), with some landmarks copies of queries plus
// a little noise, so that near-zero distances (where the expansion cancels) are present.
std::pair<torch::Tensor, torch::Tensor> soft_like_inputs(std::vector<int64_t> batch, int64_t n, int64_t m,
                                                         int64_t d) {
  auto qs = batch, ks = batch;
  qs.insert(qs.end(), {n, d});
  ks.insert(ks.end(), {m, d});
  const double scale = 1.0 / std::sqrt(static_cast<double>(d));
  auto q = torch::randn(qs, f64) * scale;
  auto k = torch::randn(ks, f64) * scale;
  const int64_t shared = std::min(n, m) / 2;
  if (shared > 0)
    k.narrow(-2, 0, shared)
        .copy_(q.narrow(-2, 0, shared) + 1e-3 * scale * torch::randn_like(q.narrow(-2, 0, shared)));
  return {q, k};
}

}  // namespace

TEST_CASE("gaussian reference: equals explicit float64 loops on awkward sizes", "[kernels][gaussian]") {
  SingleThread one_thread;
  torch::manual_seed(10);
  for (int64_t n : {1, 7, 33})
    for (int64_t m : {1, 5, 49})
      for (int64_t d : {3, 17, 64}) {
        const auto [q, k] = soft_like_inputs({2, 3}, n, m, d);
        const auto naive = naive_gaussian(q, k);
        INFO("n " << n << " m " << m << " d " << d);
        const auto ref64 = reference::gaussian_kernel(q, k);
        REQUIRE(ref64.sizes() == naive.sizes());
        CHECK(max_abs_diff(ref64, naive) < 1e-12);
        // fp32 inputs: the expansion in fp32 loses a few bits near q ~ k, never more than ~1e-5.
        const auto ref32 = reference::gaussian_kernel(q.to(torch::kFloat32), k.to(torch::kFloat32));
        CHECK(ref32.scalar_type() == torch::kFloat32);
        CHECK(max_abs_diff(ref32, naive_gaussian(q.to(torch::kFloat32), k.to(torch::kFloat32))) < 2e-5);
        // bf16 inputs: computed in fp32 on the bf16 values.
        const auto qb = q.to(torch::kBFloat16), kb = k.to(torch::kBFloat16);
        const auto ref16 = reference::gaussian_kernel(qb, kb);
        CHECK(ref16.scalar_type() == torch::kFloat32);
        CHECK(max_abs_diff(ref16, naive_gaussian(qb, kb)) < 2e-5);
      }
}

TEST_CASE("gaussian reference: gradients equal finite differences and the fused kernel's formula",
          "[kernels][gaussian]") {
  SingleThread one_thread;
  torch::manual_seed(11);
  torch::Tensor q0, k0;  // not structured bindings: the lambda below captures them (C++17)
  std::tie(q0, k0) = soft_like_inputs({2}, 7, 5, 3);
  const auto dout = torch::randn({2, 7, 5}, f64);
  auto q = q0.clone().requires_grad_(true), k = k0.clone().requires_grad_(true);
  (reference::gaussian_kernel(q, k) * dout).sum().backward();

  // Central differences of L = sum(dout * K(q, k)) in every coordinate of q and k.
  auto numeric = [&](const torch::Tensor& base, bool wrt_q) {
    auto grad = torch::zeros_like(base);
    auto flat = grad.view(-1);
    const double eps = 1e-6;
    for (int64_t e = 0; e < base.numel(); ++e) {
      auto plus = base.clone(), minus = base.clone();
      plus.view(-1)[e] += eps;
      minus.view(-1)[e] -= eps;
      const auto lp = (dout * (wrt_q ? naive_gaussian(plus, k0) : naive_gaussian(q0, plus))).sum();
      const auto lm = (dout * (wrt_q ? naive_gaussian(minus, k0) : naive_gaussian(q0, minus))).sum();
      flat[e] = (lp - lm).item<double>() / (2 * eps);
    }
    return grad;
  };
  const auto dq_fd = numeric(q0, true), dk_fd = numeric(k0, false);
  CHECK(max_abs_diff(q.grad(), dq_fd) < 1e-8);
  CHECK(max_abs_diff(k.grad(), dk_fd) < 1e-8);

  // The closed form the CUDA backward implements (no n x m distance tensor needed).
  const auto [dq, dk] = naive_backward(dout, q0, k0);
  CHECK(max_abs_diff(dq, dq_fd) < 1e-8);
  CHECK(max_abs_diff(dk, dk_fd) < 1e-8);
  // And for a larger, awkward size against autograd of the reference.
  const auto [q1, k1] = soft_like_inputs({3}, 33, 49, 17);
  const auto dout1 = torch::randn({3, 33, 49}, f64);
  auto qg = q1.clone().requires_grad_(true), kg = k1.clone().requires_grad_(true);
  (reference::gaussian_kernel(qg, kg) * dout1).sum().backward();
  const auto [dq1, dk1] = naive_backward(dout1, q1, k1);
  CHECK(max_abs_diff(qg.grad(), dq1) < 1e-10);
  CHECK(max_abs_diff(kg.grad(), dk1) < 1e-10);
}

TEST_CASE("gaussian reference: tied queries and landmarks get the sum of both gradients",
          "[kernels][gaussian]") {
  // SOFT's landmark kernel is K(lm, lm): the gradient of the shared input is dq + dk.
  torch::manual_seed(12);
  const auto x0 = torch::randn({2, 5, 4}, f64) * 0.5;
  const auto dout = torch::randn({2, 5, 5}, f64);
  auto x = x0.clone().requires_grad_(true);
  (reference::gaussian_kernel(x, x) * dout).sum().backward();
  const auto [dq, dk] = naive_backward(dout, x0, x0);
  CHECK(max_abs_diff(x.grad(), dq + dk) < 1e-10);
}
