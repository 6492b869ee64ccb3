// The check of the fused Gaussian kernel (gaussian_kernel.cu) for `softvit check kernels`: random
// inputs of awkward sizes (n not a multiple of the 128-row tile, m = 1 .. 130 across landmark chunks
// of 64, d = 3 .. 100, batch 1 up to 256 x heads), fp32 and bf16 inputs, fp32 or bf16 output; the
// forward as max |fused - ref| (values lie in (0, 1]), dq and dk as max |fused - ref| / max |ref|,
// against the reference path run in fp64 on the same (rounded) inputs; median times of the forward
// and of forward + backward against the reference path on the large cases.
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/strings.h"
#include "kernels/check_registry.h"
#include "kernels/check_util.h"
#include "kernels/gaussian_kernel.h"
#include "kernels/output_poison.h"
#include "models/attention/gaussian_kernel.h"

namespace softvit::kernels::check {
namespace {

// The forward bound covers fp32 summation of d <= 128 exact squared differences plus expf (a few
// ulp). A bf16 output (saved for the backward in bf16) puts both gradients under the bf16 bound.
constexpr double kForwardAbs = 1e-5;
constexpr double kForwardAbsBf16 = 4e-3;  // bf16 output: rounding of values <= 1, 2^-9 at most

// The fused kernel, or for the dry run the reference path standing in for it.
torch::Tensor gaussian(const Target& target, const torch::Tensor& q, const torch::Tensor& k,
                       torch::ScalarType out) {
  return target.dry_run ? reference::gaussian_kernel(q, k).to(out)
                        : kernels::fused_gaussian_kernel(q, k, out);
}
torch::Tensor gaussian_forward(const Target& target, const torch::Tensor& q, const torch::Tensor& k,
                               torch::ScalarType out) {
  return target.dry_run ? reference::gaussian_kernel(q, k).to(out)
                        : kernels::gaussian_forward_cuda(q, k, out);
}

struct GaussianCase {
  std::vector<int64_t> batch;
  int64_t n, m, d;
  bool big;  // skipped by --quick; timed
};

void check_case(const GaussianCase& c, const Precision& p, const Target& target, std::vector<Row>& rows) {
  const auto cuda = torch::TensorOptions().device(target.device);
  const double scale = 1.0 / std::sqrt(static_cast<double>(c.d));
  auto q0 = torch::randn(with(c.batch, {c.n, c.d}), cuda) * scale;
  auto k0 = torch::randn(with(c.batch, {c.m, c.d}), cuda) * scale;
  const int64_t shared = std::min(c.n, c.m) / 2;  // landmarks next to queries: near-zero distances
  if (shared > 0)
    k0.narrow(-2, 0, shared)
        .copy_(q0.narrow(-2, 0, shared) + 1e-3 * scale * torch::randn_like(q0.narrow(-2, 0, shared)));
  const auto q = q0.to(p.q), k = k0.to(p.k);
  // Representable in the output's dtype, so that every path sees the same upstream gradient.
  const auto dout = torch::randn(with(c.batch, {c.n, c.m}), cuda).to(p.out).to(torch::kFloat);

  // The reference in fp64 on the same values, and the fp32 reference path the model would run.
  auto q64 = q.to(torch::kFloat64).requires_grad_(true), k64 = k.to(torch::kFloat64).requires_grad_(true);
  const auto ref = reference::gaussian_kernel(q64, k64);
  ref.backward(dout.to(torch::kFloat64));
  auto q32 = q.detach().requires_grad_(true), k32 = k.detach().requires_grad_(true);
  const auto ref32 = reference::gaussian_kernel(q32, k32).to(p.out);
  ref32.backward(dout.to(p.out));

  kernels::set_poison_outputs(true);
  auto qf = q.detach().requires_grad_(true), kf = k.detach().requires_grad_(true);
  const auto out = gaussian(target, qf, kf, p.out);
  out.backward(dout.to(p.out));
  target.synchronize();
  kernels::set_poison_outputs(false);

  const auto shape = shape_text(c.batch, cat("n=", c.n, " m=", c.m, " d=", c.d));
  const bool bf16_out = p.out == torch::kBFloat16;
  const auto bound = [&](torch::ScalarType t) {
    return t == torch::kBFloat16 || bf16_out ? kGradRelBf16 : kGradRelFp32;
  };
  Row fwd = make_row("gaussian fwd", shape, p.name, out, abs_error(out, ref),
                     bf16_out ? kForwardAbsBf16 : kForwardAbs, abs_error(ref32, ref));
  Row dq = make_row("gaussian dq", shape, p.name, qf.grad(), rel_error(qf.grad(), q64.grad()), bound(p.q),
                    rel_error(q32.grad(), q64.grad()));
  Row dk = make_row("gaussian dk", shape, p.name, kf.grad(), rel_error(kf.grad(), k64.grad()), bound(p.k),
                    rel_error(k32.grad(), k64.grad()));
  if (c.big && target.timed()) {
    torch::NoGradGuard no_grad;
    fwd.fused_ms = median_ms([&] { gaussian_forward(target, q, k, p.out); }, target.repeats);
    fwd.reference_ms = median_ms([&] { reference::gaussian_kernel(q, k).to(p.out); }, target.repeats);
  }
  if (c.big && target.timed()) {  // forward + backward, on the dq row
    auto step = [&](bool fused) {
      auto qg = q.detach().requires_grad_(true), kg = k.detach().requires_grad_(true);
      const auto o = fused ? gaussian(target, qg, kg, p.out) : reference::gaussian_kernel(qg, kg).to(p.out);
      torch::autograd::grad({o}, {qg, kg}, {dout.to(p.out)});
    };
    dq.fused_ms = median_ms([&] { step(true); }, target.repeats);
    dq.reference_ms = median_ms([&] { step(false); }, target.repeats);
  }
  rows.push_back(fwd);
  rows.push_back(dq);
  rows.push_back(dk);
}

}  // namespace

void check_gaussian_kernel(const Target& target, std::vector<Row>& rows) {
  const std::vector<GaussianCase> gaussian = {
      {{1}, 1, 1, 3, false},          {{1}, 7, 5, 17, false},        {{2, 3}, 33, 49, 17, false},
      {{1}, 127, 50, 32, false},      {{3}, 129, 64, 64, false},     {{2}, 257, 65, 64, false},
      {{2, 2}, 300, 130, 100, false}, {{4, 2}, 49, 49, 32, false},   {{1}, 3136, 49, 64, false},
      {{256, 2}, 3136, 49, 32, true}, {{128, 4}, 784, 49, 32, true}, {{128, 10}, 196, 49, 32, true},
      {{256, 2}, 49, 49, 32, true}};
  // q/k dtypes, ">bf16": bf16 output (k1 under bf16 autocast: bf16 queries, fp32 landmarks).
  const std::vector<Precision> precisions = {
      {"fp32", torch::kFloat, torch::kFloat, torch::kFloat},
      {"bf16", torch::kBFloat16, torch::kBFloat16, torch::kFloat},
      {"bf16/fp32", torch::kBFloat16, torch::kFloat, torch::kFloat},
      {"bf16/fp32>bf16", torch::kBFloat16, torch::kFloat, torch::kBFloat16}};
  for (const auto& c : gaussian) {
    if ((target.quick || target.dry_run) && c.big) continue;
    for (const auto& p : precisions) check_case(c, p, target, rows);
  }
}

}  // namespace softvit::kernels::check
