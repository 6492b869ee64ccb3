// Which path runs: CPU tensors always take the reference (ATen) paths, the fused kernels accept
// only the shapes they were written for, and their launches refuse CPU tensors with a clear error.
// With a CUDA device (the GPU machine's ctest) the fused kernels are also compared with the
// references on small awkward sizes; `softvit check kernels` is the full GPU check.
#include <ATen/autocast_mode.h>
#include <torch/cuda.h>

#include <cmath>
#include <cstdlib>

#include "catch.h"
#include "kernel_test_util.h"
#include "kernels/gaussian_kernel.h"
#include "kernels/newton_pinv.h"
#include "models/attention/gaussian_kernel.h"
#include "models/attention/newton_pinv.h"

using namespace softvit;

namespace {

double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kFloat64).cpu() - b.to(torch::kFloat64).cpu()).abs().max().item<double>();
}

}  // namespace

TEST_CASE("kernel dispatch: CPU tensors take the reference path", "[kernels][dispatch]") {
  torch::manual_seed(30);
  const auto q = torch::randn({2, 7, 17}).requires_grad_(true);
  const auto k = torch::randn({2, 5, 17}).requires_grad_(true);
  CHECK_FALSE(kernels::fused_gaussian_accepts(q, k));
  CHECK_FALSE(kernels::fused_gaussian_supported(q, k));
  CHECK_FALSE(kernels::fused_gaussian_supported(q.to(torch::kBFloat16), k.to(torch::kBFloat16)));
  const auto out = gaussian_kernel(q, k);
  CHECK(torch::equal(out, reference::gaussian_kernel(q, k)));
  REQUIRE(out.grad_fn());
  CHECK(out.grad_fn()->name().find("FusedGaussian") == std::string::npos);
  CHECK(out.grad_fn()->name().find("Exp") != std::string::npos);

  const auto a = torch::exp(-0.5 * torch::cdist(k, k).square()).detach();
  CHECK_FALSE(kernels::fused_newton_accepts(a));
  CHECK_FALSE(kernels::fused_newton_supported(a));
}

TEST_CASE("kernel dispatch: autocast_output gives bf16 only under bf16 autocast", "[kernels][dispatch]") {
  torch::manual_seed(32);
  const auto q = torch::randn({2, 7, 17}), k = torch::randn({2, 5, 17});
  const auto fp32 = reference::gaussian_kernel(q, k);
  CHECK(gaussian_kernel(q, k, /*autocast_output=*/true).scalar_type() == torch::kFloat32);  // autocast off
  const bool was_enabled = at::autocast::is_autocast_enabled(at::kCPU);
  const auto was_dtype = at::autocast::get_autocast_dtype(at::kCPU);
  at::autocast::set_autocast_enabled(at::kCPU, true);
  at::autocast::set_autocast_dtype(at::kCPU, at::kBFloat16);
  const auto cast = gaussian_kernel(q, k, /*autocast_output=*/true);
  const auto kept = gaussian_kernel(q, k);
  const auto fp64 = gaussian_kernel(q.to(torch::kFloat64), k.to(torch::kFloat64), /*autocast_output=*/true);
  at::autocast::set_autocast_dtype(at::kCPU, at::kHalf);
  const auto half = gaussian_kernel(q, k, /*autocast_output=*/true);
  at::autocast::set_autocast_enabled(at::kCPU, was_enabled);
  at::autocast::set_autocast_dtype(at::kCPU, was_dtype);
  at::autocast::clear_cache();
  CHECK(cast.scalar_type() == torch::kBFloat16);
  CHECK(torch::equal(cast, fp32.to(torch::kBFloat16)));  // one rounding of the fp32 value
  CHECK(kept.scalar_type() == torch::kFloat32);
  CHECK(fp64.scalar_type() == torch::kFloat64);  // fp64 (tests) is never rounded
  CHECK(half.scalar_type() == torch::kFloat32);  // only bf16 autocast
}

TEST_CASE("kernel dispatch: the launches refuse CPU tensors with a clear error", "[kernels][dispatch]") {
  const auto q = torch::randn({7, 17}), k = torch::randn({5, 17});
  CHECK_THROWS_WITH(kernels::gaussian_forward_cuda(q, k), Catch::Contains("fused gaussian"));
  const auto out = torch::rand({7, 5});
  CHECK_THROWS_WITH(kernels::gaussian_backward_cuda(out, q, k, out), Catch::Contains("fused gaussian"));
  CHECK_THROWS_WITH(kernels::newton_pinv_cuda(torch::eye(5), 20, 0.01), Catch::Contains("fused newton pinv"));
}

TEST_CASE("kernel dispatch: shapes the fused Gaussian kernel takes", "[kernels][dispatch]") {
  using kernels::gaussian_shapes_fit;
  CHECK(gaussian_shapes_fit({2, 3, 7, 17}, {2, 3, 5, 17}));
  CHECK(gaussian_shapes_fit({7, 17}, {5, 17}));  // no batch dims
  CHECK(gaussian_shapes_fit({1, 1, 1}, {1, 1, 1}));
  CHECK(gaussian_shapes_fit({4, 3136, kernels::kMaxFusedHeadDim}, {4, 49, kernels::kMaxFusedHeadDim}));
  CHECK_FALSE(
      gaussian_shapes_fit({4, 33, kernels::kMaxFusedHeadDim + 1}, {4, 49, kernels::kMaxFusedHeadDim + 1}));
  CHECK_FALSE(gaussian_shapes_fit({2, 7, 17}, {3, 5, 17}));     // different batch
  CHECK_FALSE(gaussian_shapes_fit({1, 7, 17}, {2, 5, 17}));     // broadcasting: reference only
  CHECK_FALSE(gaussian_shapes_fit({2, 7, 17}, {2, 5, 16}));     // different width
  CHECK_FALSE(gaussian_shapes_fit({2, 3, 7, 17}, {2, 5, 17}));  // different rank
  CHECK_FALSE(gaussian_shapes_fit({2, 7, 0}, {2, 5, 0}));
  CHECK_FALSE(gaussian_shapes_fit({2, 0, 17}, {2, 5, 17}));
  CHECK_FALSE(gaussian_shapes_fit({2, 7, 17}, {2, 0, 17}));
  CHECK_FALSE(gaussian_shapes_fit({0, 7, 17}, {0, 5, 17}));
  CHECK_FALSE(gaussian_shapes_fit({17}, {17}));
}

TEST_CASE("kernel dispatch: shapes the fused Newton kernel takes", "[kernels][dispatch]") {
  using kernels::newton_shape_fits;
  CHECK(newton_shape_fits({256, 2, 49, 49}));
  CHECK(newton_shape_fits({1, 1}));
  CHECK(newton_shape_fits({3, kernels::kMaxFusedNewtonSize, kernels::kMaxFusedNewtonSize}));
  CHECK_FALSE(newton_shape_fits({3, kernels::kMaxFusedNewtonSize + 1, kernels::kMaxFusedNewtonSize + 1}));
  CHECK_FALSE(newton_shape_fits({3, 4, 5}));
  CHECK_FALSE(newton_shape_fits({0, 5, 5}));
  CHECK_FALSE(newton_shape_fits({5}));
}

TEST_CASE("kernel dispatch: on a CUDA device the fused kernels match the references", "[kernels][gpu]") {
  if (!cuda_kernels_runnable()) return;
  torch::manual_seed(31);
  const auto cuda = torch::TensorOptions().device(torch::kCUDA).dtype(torch::kFloat64);
  for (auto [n, m, d] :
       {std::tuple<int64_t, int64_t, int64_t>{1, 1, 3}, {33, 49, 17}, {130, 50, 64}, {7, 65, 100}}) {
    INFO("n " << n << " m " << m << " d " << d);
    const auto q64 = torch::randn({2, 3, n, d}, cuda) / std::sqrt(static_cast<double>(d));
    const auto k64 = torch::randn({2, 3, m, d}, cuda) / std::sqrt(static_cast<double>(d));
    const auto dout = torch::randn({2, 3, n, m}, cuda);
    auto qr = q64.clone().requires_grad_(true), kr = k64.clone().requires_grad_(true);
    const auto expected = reference::gaussian_kernel(qr, kr);
    (expected * dout).sum().backward();
    auto q = q64.to(torch::kFloat32).requires_grad_(true), k = k64.to(torch::kFloat32).requires_grad_(true);
    REQUIRE(kernels::fused_gaussian_accepts(q, k));
    const auto out = kernels::fused_gaussian_kernel(q, k);
    (out * dout.to(torch::kFloat32)).sum().backward();
    CHECK(max_abs_diff(out, expected) < 1e-5);
    CHECK(max_abs_diff(q.grad(), qr.grad()) < 1e-4 * qr.grad().abs().max().item<double>());
    CHECK(max_abs_diff(k.grad(), kr.grad()) < 1e-4 * kr.grad().abs().max().item<double>());
    // bf16 output, bf16 queries: rounded once; gradients from the saved bf16 output.
    auto qb = q64.to(torch::kBFloat16).requires_grad_(true),
         kb = k64.to(torch::kFloat32).requires_grad_(true);
    const auto outb = kernels::fused_gaussian_kernel(qb, kb, torch::kBFloat16);
    REQUIRE(outb.scalar_type() == torch::kBFloat16);
    outb.backward(dout.to(torch::kBFloat16));
    auto qbr = qb.detach().to(torch::kFloat64).requires_grad_(true),
         kbr = kb.detach().to(torch::kFloat64).requires_grad_(true);
    const auto expectedb = reference::gaussian_kernel(qbr, kbr);
    (expectedb * dout.to(torch::kBFloat16).to(torch::kFloat64)).sum().backward();
    CHECK(max_abs_diff(outb, expectedb) < 4e-3);
    CHECK(max_abs_diff(qb.grad(), qbr.grad()) < 1e-2 * qbr.grad().abs().max().item<double>());
    CHECK(max_abs_diff(kb.grad(), kbr.grad()) < 1e-2 * kbr.grad().abs().max().item<double>());
  }
  for (int64_t m : {1, 5, 49, 64}) {
    INFO("newton m " << m);
    const auto x = torch::randn({4, m, 8}, cuda) * 0.5;
    const auto a = torch::exp(-0.5 * torch::cdist(x, x).square()).to(torch::kFloat32);
    REQUIRE(kernels::fused_newton_accepts(a));
    const auto expected = newton_pinv_value(a.to(torch::kFloat64), {20, 0.01});  // fp64: the reference loop
    const auto got = kernels::newton_pinv_cuda(a, 20, 0.01);
    CHECK(max_abs_diff(got, expected) < 1e-3 * expected.abs().max().item<double>());
  }
}

TEST_CASE("kernel dispatch: an A/B switch is off only when its variable is \"0\"", "[kernels][dispatch]") {
  const char* name = "SOFTVIT_TEST_SWITCH";
  unsetenv(name);
  CHECK_FALSE(kernels::switched_off_by_env(name));
  setenv(name, "1", 1);
  CHECK_FALSE(kernels::switched_off_by_env(name));
  setenv(name, "", 1);
  CHECK_FALSE(kernels::switched_off_by_env(name));
  setenv(name, "0", 1);
  CHECK(kernels::switched_off_by_env(name));
  unsetenv(name);
}
