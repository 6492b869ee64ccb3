// The check of the fused LayerNorm (layer_norm.cu) for `softvit check kernels`: rows x C,
// C = 1 .. 1024, fp32 or bf16 in and out; the output, input gradient and gamma / beta gradients as
// max |fused - ref| / max(max |ref|, 1) against ATen's layer_norm in fp64, timed against ATen's at
// the SOFT-Tiny and DeiT-Tiny shapes.
#include <torch/torch.h>

#include <vector>

#include "core/strings.h"
#include "kernels/check_registry.h"
#include "kernels/check_util.h"
#include "kernels/layer_norm.h"
#include "kernels/output_poison.h"

namespace softvit::kernels::check {
namespace {

// An fp32 output is a few roundings from the fp64 value; a bf16 output or input gradient is rounded
// once more (2^-8 relative at most); gradients sum C (dx) or all rows (dgamma, dbeta: per-warp
// partial sums, then ATen's sum) in fp32.
constexpr double kLayerNormRelFp32 = 1e-5;
constexpr double kLayerNormRelBf16 = 5e-3;

// The fused LayerNorm or, for the dry run, ATen's layer_norm in fp32 (what autocast runs), the result
// cast to out.
torch::Tensor layer_norm(const Target& target, const torch::Tensor& x, const torch::Tensor& w,
                         const torch::Tensor& b, double eps, torch::ScalarType out) {
  if (!target.dry_run) return kernels::fused_layer_norm(x, w, b, eps, out);
  return at::layer_norm(x.to(torch::kFloat), {x.size(-1)}, w, b, eps).to(out);
}

struct LayerNormCase {
  int64_t rows, c;
  bool big;  // skipped by --quick; timed
};

struct NormPrecision {
  std::string name;
  torch::ScalarType x, out;
};

// Output, input gradient and gamma / beta gradients of the LayerNorm. Timed rows (big cases): the
// forward launch (fwd row) and forward + backward through autograd (dx row), each against ATen's
// layer_norm in fp32 with the casts autocast would add.
void check_case(const LayerNormCase& c, const NormPrecision& p, const Target& target,
                std::vector<Row>& rows) {
  const auto cuda = torch::TensorOptions().device(target.device);
  constexpr double eps = 1e-6;
  // Rows with an offset well above their spread: what a naive E[x^2] - mean^2 would get wrong.
  const auto offset = torch::randn({c.rows, 1}, cuda) * 4.0;
  const auto x = (torch::randn({c.rows, c.c}, cuda) + offset).to(p.x);
  const auto w = torch::rand({c.c}, cuda) + 0.5, b = torch::randn({c.c}, cuda) * 0.1;
  const auto dout = torch::randn({c.rows, c.c}, cuda).to(p.out);  // representable in the output dtype

  auto x64 = x.to(torch::kFloat64).requires_grad_(true);
  auto w64 = w.to(torch::kFloat64).requires_grad_(true), b64 = b.to(torch::kFloat64).requires_grad_(true);
  const auto ref = at::layer_norm(x64, {c.c}, w64, b64, eps);
  ref.backward(dout.to(torch::kFloat64));
  auto reference_path = [&](const torch::Tensor& xi, const torch::Tensor& wi, const torch::Tensor& bi) {
    return at::layer_norm(xi.to(torch::kFloat), {c.c}, wi, bi, eps).to(p.out);
  };
  auto x32 = x.detach().requires_grad_(true), w32 = w.detach().requires_grad_(true),
       b32 = b.detach().requires_grad_(true);
  const auto ref32 = reference_path(x32, w32, b32);
  ref32.backward(dout);

  kernels::set_poison_outputs(true);
  auto xf = x.detach().requires_grad_(true), wf = w.detach().requires_grad_(true),
       bf = b.detach().requires_grad_(true);
  const auto out = layer_norm(target, xf, wf, bf, eps, p.out);
  out.backward(dout);
  target.synchronize();
  kernels::set_poison_outputs(false);

  const auto shape = cat("rows=", c.rows, " C=", c.c);
  const auto bound = [](torch::ScalarType t) {
    return t == torch::kBFloat16 ? kLayerNormRelBf16 : kLayerNormRelFp32;
  };
  Row fwd = make_row("layernorm fwd", shape, p.name, out, rel_error_floor_1(out, ref), bound(p.out),
                     rel_error_floor_1(ref32, ref));
  Row dx = make_row("layernorm dx", shape, p.name, xf.grad(), rel_error_floor_1(xf.grad(), x64.grad()),
                    p.x == torch::kBFloat16 ? kLayerNormRelBf16 : kGradRelFp32,
                    rel_error_floor_1(x32.grad(), x64.grad()));
  Row dw = make_row("layernorm dw", shape, p.name, wf.grad(), rel_error_floor_1(wf.grad(), w64.grad()),
                    kGradRelFp32, rel_error_floor_1(w32.grad(), w64.grad()));
  Row db = make_row("layernorm db", shape, p.name, bf.grad(), rel_error_floor_1(bf.grad(), b64.grad()),
                    kGradRelFp32, rel_error_floor_1(b32.grad(), b64.grad()));
  if (c.big && target.timed()) {
    {
      torch::NoGradGuard no_grad;
      fwd.fused_ms =
          median_ms([&] { kernels::layer_norm_forward_cuda(x, w, b, eps, p.out); }, target.repeats);
      fwd.reference_ms = median_ms([&] { reference_path(x, w, b); }, target.repeats);
    }
    auto step = [&](bool fused) {
      auto xg = x.detach().requires_grad_(true), wg = w.detach().requires_grad_(true),
           bg = b.detach().requires_grad_(true);
      const auto o = fused ? layer_norm(target, xg, wg, bg, eps, p.out) : reference_path(xg, wg, bg);
      torch::autograd::grad({o}, {xg, wg, bg}, {dout});
    };
    dx.fused_ms = median_ms([&] { step(true); }, target.repeats);
    dx.reference_ms = median_ms([&] { step(false); }, target.repeats);
  }
  for (auto& r : {fwd, dx, dw, db}) rows.push_back(r);
}

}  // namespace

void check_layer_norm(const Target& target, std::vector<Row>& rows) {
  // C off the warp (2, 7, 33, 100, 1000), at each register-count step (64 .. 1024), one row and
  // many; the SOFT-Tiny stage widths at 224 px (batch 128: 3136, 784, 196 and 50 tokens) and
  // DeiT-Tiny's (batch 256, 197 tokens, C = 192).
  const std::vector<LayerNormCase> layer_norms = {
      {1, 2, false},          {3, 7, false},          {5, 33, false},        {17, 64, false},
      {100, 100, false},      {31, 192, false},       {33, 320, false},      {7, 512, false},
      {9, 1000, false},       {4, 1024, false},       {5000, 64, false},     {128 * 3136, 64, true},
      {128 * 784, 128, true}, {128 * 196, 320, true}, {128 * 50, 512, true}, {256 * 197, 192, true}};
  const std::vector<NormPrecision> norm_precisions = {{"fp32", torch::kFloat, torch::kFloat},
                                                      {"bf16>fp32", torch::kBFloat16, torch::kFloat},
                                                      {"fp32>bf16", torch::kFloat, torch::kBFloat16},
                                                      {"bf16", torch::kBFloat16, torch::kBFloat16}};
  for (const auto& c : layer_norms) {
    if ((target.quick || target.dry_run) && c.big) continue;
    for (const auto& p : norm_precisions) check_case(c, p, target, rows);
  }
}

}  // namespace softvit::kernels::check
