// Which path the depthwise convolution takes: CPU tensors always the reference (conv2d), the
// fused kernel only the shapes and layouts it was written for, and its launches refuse CPU tensors
// with a clear error. With a CUDA device the fused kernel is also compared with conv2d in fp64;
// `softvit check kernels` is the full GPU check.
#include <torch/cuda.h>

#include <algorithm>
#include <string>
#include <tuple>

#include "catch.h"
#include "kernel_test_util.h"
#include "kernels/depthwise_conv.h"
#include "kernels/gaussian_kernel.h"
#include "models/attention/depthwise_conv.h"
#include "train/autocast.h"

using namespace softvit;

TEST_CASE("depthwise dispatch: CPU tensors take conv2d", "[kernels][dispatch][depthwise]") {
  torch::manual_seed(42);
  const auto x =
      torch::randn({2, 6, 9, 13}).contiguous(torch::MemoryFormat::ChannelsLast).requires_grad_(true);
  const auto w = torch::randn({6, 1, 5, 5}).requires_grad_(true);
  CHECK_FALSE(kernels::fused_depthwise_accepts(x, w));
  CHECK_FALSE(kernels::fused_depthwise_supported(x, w));
  CHECK_FALSE(kernels::fused_depthwise_supported(x.to(torch::kBFloat16), w.to(torch::kBFloat16)));
  const auto out = depthwise_conv2d(x, w);
  CHECK(torch::equal(out, torch::conv2d(x, w, {}, 1, 2, 1, 6)));
  REQUIRE(out.grad_fn());
  CHECK(out.grad_fn()->name().find("FusedDepthwise") == std::string::npos);
  CHECK(out.grad_fn()->name().find("Convolution") != std::string::npos);
}

TEST_CASE("depthwise dispatch: the launches refuse CPU tensors with a clear error",
          "[kernels][dispatch][depthwise]") {
  const auto x = torch::randn({1, 3, 4, 4}), w = torch::randn({3, 1, 3, 3});
  CHECK_THROWS_WITH(kernels::depthwise_conv2d_forward_cuda(x, w), Catch::Contains("fused depthwise conv"));
  CHECK_THROWS_WITH(kernels::depthwise_conv2d_backward_cuda(x, x, w),
                    Catch::Contains("fused depthwise conv"));
}

TEST_CASE("depthwise dispatch: shapes the fused kernel takes", "[kernels][dispatch][depthwise]") {
  using kernels::depthwise_shapes_fit;
  CHECK(depthwise_shapes_fit({128, 64, 56, 56}, {64, 1, 9, 9}));
  CHECK(depthwise_shapes_fit({1, 1, 1, 1}, {1, 1, 1, 1}));
  CHECK(depthwise_shapes_fit({3, 5, 9, 13},
                             {5, 1, kernels::kMaxFusedDepthwiseKernel, kernels::kMaxFusedDepthwiseKernel}));
  CHECK_FALSE(depthwise_shapes_fit({3, 5, 9, 13}, {5, 1, 13, 13}));  // k > 11
  CHECK_FALSE(depthwise_shapes_fit({3, 5, 9, 13}, {5, 1, 4, 4}));    // even k
  CHECK_FALSE(depthwise_shapes_fit({3, 5, 9, 13}, {5, 1, 3, 5}));    // not square
  CHECK_FALSE(depthwise_shapes_fit({3, 5, 9, 13}, {6, 1, 3, 3}));    // a filter per channel
  CHECK_FALSE(depthwise_shapes_fit({3, 6, 9, 13}, {3, 2, 3, 3}));    // grouped, not depthwise
  CHECK_FALSE(depthwise_shapes_fit({0, 5, 9, 13}, {5, 1, 3, 3}));
  CHECK_FALSE(depthwise_shapes_fit({3, 5, 0, 13}, {5, 1, 3, 3}));
  CHECK_FALSE(depthwise_shapes_fit({5, 9, 13}, {5, 1, 3, 3}));
}

TEST_CASE("depthwise dispatch: on a CUDA device the fused kernel matches conv2d",
          "[kernels][gpu][depthwise]") {
  if (!cuda_kernels_runnable()) return;
  torch::manual_seed(43);
  const auto cuda = torch::TensorOptions().device(torch::kCUDA).dtype(torch::kFloat64);
  for (auto [b, c, h, w, k] : {std::tuple<int64_t, int64_t, int64_t, int64_t, int64_t>{1, 1, 1, 1, 1},
                               {3, 5, 9, 13, 3},
                               {2, 64, 17, 35, 9},
                               {2, 130, 9, 13, 11},
                               {1, 40, 20, 33, 7}}) {
    INFO("b " << b << " c " << c << " h " << h << " w " << w << " k " << k);
    const auto x64 = torch::randn({b, c, h, w}, cuda).contiguous(torch::MemoryFormat::ChannelsLast);
    const auto w64 = torch::randn({c, 1, k, k}, cuda) / static_cast<double>(k);
    const auto g64 = torch::randn({b, c, h, w}, cuda);
    for (auto dtype : {torch::kFloat32, torch::kBFloat16}) {
      auto x = x64.to(dtype).requires_grad_(true), wt = w64.to(dtype).requires_grad_(true);
      REQUIRE(kernels::fused_depthwise_accepts(x, wt));
      const auto out = kernels::fused_depthwise_conv2d(x, wt);
      out.backward(g64.to(dtype));
      auto xr = x.detach().to(torch::kFloat64).requires_grad_(true);
      auto wr = wt.detach().to(torch::kFloat64).requires_grad_(true);
      const auto ref = reference::depthwise_conv2d(xr, wr);
      ref.backward(g64.to(dtype).to(torch::kFloat64));
      const double bound = dtype == torch::kFloat32 ? 1e-4 : 1e-2;
      auto rel = [](const torch::Tensor& got, const torch::Tensor& expected) {
        return (got.to(torch::kFloat64) - expected).abs().max().item<double>() /
               std::max(expected.abs().max().item<double>(), 1e-30);
      };
      CHECK(out.scalar_type() == dtype);
      CHECK(out.is_contiguous(torch::MemoryFormat::ChannelsLast));
      CHECK(rel(out, ref) < bound);
      CHECK(rel(x.grad(), xr.grad()) < bound);
      CHECK(rel(wt.grad(), wr.grad()) < bound);
    }
  }
  // Under bf16 autocast the front door sees what conv2d would: bf16 input and weight, bf16 output,
  // the weight gradient back in the fp32 weight's dtype.
  const auto x = torch::randn({2, 8, 7, 7}, cuda.dtype(torch::kFloat32))
                     .contiguous(torch::MemoryFormat::ChannelsLast)
                     .requires_grad_(true);
  const auto wt = torch::randn({8, 1, 3, 3}, cuda.dtype(torch::kFloat32)).requires_grad_(true);
  torch::Tensor out;
  {
    AutocastScope autocast(x.device(), true);
    out = depthwise_conv2d(x, wt);
  }
  CHECK(out.scalar_type() == torch::kBFloat16);
  REQUIRE(out.grad_fn());
  CHECK(out.grad_fn()->name().find("FusedDepthwise") != std::string::npos);
  out.sum().backward();
  CHECK(wt.grad().scalar_type() == torch::kFloat32);
  CHECK(x.grad().scalar_type() == torch::kFloat32);
}
