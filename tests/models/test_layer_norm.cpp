// softvit::LayerNorm: the definition on the CPU (the path CI runs), the dtype it hands on under
// autocast, and which path it takes. On a CUDA device (the GPU machine's ctest) the fused kernel
// is compared with the definition in fp64; `softvit check kernels` is the full GPU check.
#include <ATen/autocast_mode.h>
#include <torch/cuda.h>

#include "catch.h"
#include "kernel_test_util.h"
#include "kernels/gaussian_kernel.h"
#include "kernels/layer_norm.h"
#include "models/layer_norm.h"
#include "models/vit.h"

using namespace softvit;

namespace {

// (x - mean) / sqrt(var + eps) * w + b over the last dim, biased variance, in the inputs' dtype.
torch::Tensor layer_norm_definition(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b,
                                    double eps) {
  const auto mean = x.mean(-1, /*keepdim=*/true);
  const auto var = (x - mean).square().mean(-1, /*keepdim=*/true);
  return (x - mean) / (var + eps).sqrt() * w + b;
}

// Turns CPU autocast on in `dtype` while alive.
struct CpuAutocast {
  bool was_enabled = at::autocast::is_autocast_enabled(at::kCPU);
  at::ScalarType was_dtype = at::autocast::get_autocast_dtype(at::kCPU);
  explicit CpuAutocast(at::ScalarType dtype) {
    at::autocast::set_autocast_enabled(at::kCPU, true);
    at::autocast::set_autocast_dtype(at::kCPU, dtype);
  }
  ~CpuAutocast() {
    at::autocast::set_autocast_enabled(at::kCPU, was_enabled);
    at::autocast::set_autocast_dtype(at::kCPU, was_dtype);
    at::autocast::clear_cache();
  }
};

}  // namespace

TEST_CASE("layer norm: the definition and its gradients in fp64, with the eps given",
          "[models][layer_norm]") {
  torch::manual_seed(5);
  for (double eps : {1e-5, 1e-6}) {
    LayerNorm norm(7, eps);
    norm->to(torch::kFloat64);
    {
      torch::NoGradGuard no_grad;
      norm->weight.uniform_(0.5, 1.5);
      norm->bias.uniform_(-0.3, 0.3);
    }
    // Rows of tiny spread (eps matters) and rows far from zero.
    auto x = (torch::randn({3, 4, 7}, torch::kFloat64) *
                  torch::tensor({1e-3, 1.0, 50.0}, torch::kFloat64).view({3, 1, 1}) +
              10.0)
                 .requires_grad_(true);
    const auto y = norm->forward(x);
    auto xr = x.detach().clone().requires_grad_(true);
    auto wr = norm->weight.detach().clone().requires_grad_(true),
         br = norm->bias.detach().clone().requires_grad_(true);
    const auto expected = layer_norm_definition(xr, wr, br, eps);
    CHECK(torch::allclose(y, expected, 1e-10, 1e-10));
    const auto g = torch::randn_like(y);
    y.backward(g);
    expected.backward(g);
    CHECK(torch::allclose(x.grad(), xr.grad(), 1e-8, 1e-8));
    CHECK(torch::allclose(norm->weight.grad(), wr.grad(), 1e-10, 1e-10));
    CHECK(torch::allclose(norm->bias.grad(), br.grad(), 1e-10, 1e-10));
  }
  LayerNorm norm(4);
  CHECK(norm->named_parameters().contains("weight"));
  CHECK(norm->named_parameters().contains("bias"));
  CHECK(norm->options.eps() == 1e-5);
}

TEST_CASE("layer norm: under bf16 autocast the output is fp32, or bf16 with autocast_output",
          "[models][layer_norm]") {
  torch::manual_seed(6);
  LayerNorm plain(16), to_matmul(16, 1e-5, /*autocast_output=*/true);
  const auto x = torch::randn({2, 5, 16}) * 3.0;
  const auto fp32 = plain->forward(x);
  REQUIRE(fp32.scalar_type() == torch::kFloat32);
  CHECK(to_matmul->forward(x).scalar_type() == torch::kFloat32);  // autocast off: untouched
  torch::Tensor kept, cast;
  {
    CpuAutocast autocast(torch::kBFloat16);
    kept = plain->forward(x);
    cast = to_matmul->forward(x);
  }
  CHECK(kept.scalar_type() == torch::kFloat32);
  REQUIRE(cast.scalar_type() == torch::kBFloat16);
  CHECK(torch::equal(cast, fp32.to(torch::kBFloat16)));  // computed in fp32, rounded once
  {
    CpuAutocast autocast(torch::kHalf);  // only bf16 is handed on in the low dtype
    CHECK(to_matmul->forward(x).scalar_type() == torch::kFloat32);
  }
}

TEST_CASE("layer norm: CPU tensors take ATen's path; the fused launch refuses them", "[models][layer_norm]") {
  LayerNorm norm(8);
  const auto x = torch::randn({3, 8}).requires_grad_(true);
  CHECK_FALSE(kernels::fused_layer_norm_accepts(x, norm->weight, norm->bias));
  CHECK_FALSE(kernels::fused_layer_norm_supported(x, norm->weight, norm->bias));
  const auto y = norm->forward(x);
  REQUIRE(y.grad_fn());
  CHECK(y.grad_fn()->name().find("FusedLayerNorm") == std::string::npos);
  CHECK_THROWS_WITH(kernels::layer_norm_forward_cuda(x, norm->weight, norm->bias, 1e-5, torch::kFloat),
                    Catch::Contains("fused layer norm"));
  CHECK(kernels::layer_norm_shape_fits({3, 8}));
  CHECK(kernels::layer_norm_shape_fits({2, 3, kernels::kMaxFusedLayerNormWidth}));
  CHECK(kernels::layer_norm_shape_fits({1}));
  CHECK_FALSE(kernels::layer_norm_shape_fits({3, kernels::kMaxFusedLayerNormWidth + 1}));
  CHECK_FALSE(kernels::layer_norm_shape_fits({0, 8}));
  CHECK_FALSE(kernels::layer_norm_shape_fits({}));
}

TEST_CASE("layer norm: the ViT init reaches softvit::LayerNorm and pre-norm blocks hand on bf16",
          "[models][layer_norm]") {
  VitOptions o;
  o.img_size = 32, o.patch_size = 16, o.embed_dim = 16, o.depth = 1, o.num_heads = 2, o.num_classes = 3;
  VisionTransformer vit(o);
  auto& block = *vit.blocks[0]->as<VitBlock>();
  {
    torch::NoGradGuard no_grad;  // init_vit_weights must set what follows back to 1 / 0
    block.norm1->weight.fill_(3.0);
    block.norm1->bias.fill_(3.0);
  }
  init_vit_weights(vit);
  CHECK(torch::equal(block.norm1->weight, torch::ones({16})));
  CHECK(torch::equal(block.norm1->bias, torch::zeros({16})));
  CHECK(block.norm1->autocast_output);
  CHECK(block.norm2->autocast_output);
  CHECK_FALSE(vit.norm->autocast_output);  // the final norm feeds pooling and the head in fp32
  CHECK(vit.norm->options.eps() == 1e-6);
}

TEST_CASE("layer norm: on a CUDA device the fused kernel matches the definition",
          "[models][layer_norm][gpu]") {
  if (!cuda_kernels_runnable()) return;
  torch::manual_seed(7);
  const auto cuda = torch::TensorOptions().device(torch::kCUDA).dtype(torch::kFloat64);
  for (int64_t c : {1, 7, 64, 100, 192, 1024}) {
    for (auto [xt, yt] : {std::pair{torch::kFloat, torch::kFloat},
                          {torch::kBFloat16, torch::kFloat},
                          {torch::kFloat, torch::kBFloat16},
                          {torch::kBFloat16, torch::kBFloat16}}) {
      INFO("C " << c << " x " << xt << " y " << yt);
      const auto x = (torch::randn({3, 37, c}, cuda) + 2.0).to(xt);
      const auto w = torch::rand({c}, cuda) + 0.5, b = torch::randn({c}, cuda) * 0.1;
      const auto dy = torch::randn({3, 37, c}, cuda).to(yt);
      auto xf = x.detach().requires_grad_(true);
      auto wf = w.to(torch::kFloat).requires_grad_(true), bf = b.to(torch::kFloat).requires_grad_(true);
      REQUIRE(kernels::fused_layer_norm_accepts(xf, wf, bf));
      const auto y = kernels::fused_layer_norm(xf, wf, bf, 1e-6, yt);
      REQUIRE(y.scalar_type() == yt);
      y.backward(dy);
      auto xr = x.to(torch::kFloat64).requires_grad_(true);
      auto wr = wf.detach().to(torch::kFloat64).requires_grad_(true),
           br = bf.detach().to(torch::kFloat64).requires_grad_(true);
      const auto expected = layer_norm_definition(xr, wr, br, 1e-6);
      expected.backward(dy.to(torch::kFloat64));
      auto close = [](const torch::Tensor& got, const torch::Tensor& want, double rel) {
        const auto diff = (got.to(torch::kFloat64) - want).abs().max().item<double>();
        return diff <= rel * std::max(want.abs().max().item<double>(), 1.0);  // C = 1: all zero
      };
      const double y_rel = yt == torch::kBFloat16 ? 5e-3 : 1e-5,
                   dx_rel = xt == torch::kBFloat16 ? 1e-2 : 1e-4;
      CHECK(close(y, expected, y_rel));
      CHECK(close(xf.grad(), xr.grad(), dx_rel));
      CHECK(close(wf.grad(), wr.grad(), 1e-4));
      CHECK(close(bf.grad(), br.grad(), 1e-4));
      CHECK(wf.grad().scalar_type() == torch::kFloat);
      CHECK(xf.grad().scalar_type() == xt);
    }
  }
  // The module under CUDA bf16 autocast: the fused path hands on the dtypes ATen's path does
  // (fp32 from autocast's layer_norm, whatever the input) and, with autocast_output, bf16.
  LayerNorm plain(192, 1e-6), to_matmul(192, 1e-6, /*autocast_output=*/true);
  plain->to(torch::kCUDA);
  to_matmul->to(torch::kCUDA);
  for (auto dtype : {torch::kFloat, torch::kBFloat16}) {
    const auto x = torch::randn({4, 9, 192}, torch::TensorOptions().device(torch::kCUDA)).to(dtype);
    torch::Tensor fused_plain, fused_cast, aten_plain, aten_cast;
    {
      at::autocast::set_autocast_enabled(at::kCUDA, true);
      at::autocast::set_autocast_dtype(at::kCUDA, at::kBFloat16);
      fused_plain = plain->forward(x), fused_cast = to_matmul->forward(x);
      kernels::set_fused_kernels_enabled(false);
      aten_plain = plain->forward(x), aten_cast = to_matmul->forward(x);
      kernels::set_fused_kernels_enabled(true);
      at::autocast::set_autocast_enabled(at::kCUDA, false);
      at::autocast::clear_cache();
    }
    CHECK(fused_plain.scalar_type() == aten_plain.scalar_type());
    CHECK(fused_plain.scalar_type() == torch::kFloat);
    CHECK(fused_cast.scalar_type() == torch::kBFloat16);
    CHECK(aten_cast.scalar_type() == torch::kBFloat16);
    CHECK((fused_plain - aten_plain).abs().max().item<double>() < 1e-4);
  }
}
