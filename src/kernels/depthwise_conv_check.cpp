// The check of the fused depthwise convolution (depthwise_conv.cu, SOFT's local path) for
// `softvit check kernels`: B, C = 1 .. 130, 1 x 1 .. 56 x 56 maps, k = 1 .. 11, fp32, bf16 and bf16
// with an fp32 weight; forward, input and weight gradient as max |fused - ref| / max |ref| against
// ATen's conv2d in fp64, timed against cuDNN at the SOFT-Tiny stage shapes.
#include <torch/torch.h>

#include <optional>
#include <vector>

#include "core/strings.h"
#include "kernels/check_registry.h"
#include "kernels/check_util.h"
#include "kernels/depthwise_conv.h"
#include "kernels/output_poison.h"
#include "models/attention/depthwise_conv.h"

namespace softvit::kernels::check {
namespace {

// An output (and input-gradient) entry sums k^2 <= 121 fp32 products; a weight-gradient entry sums
// B x H x W of them (per-block partial sums, then fp32 atomics); a result stored in bf16 is rounded
// once (bf16's unit roundoff 2^-8: at most 3.9e-3 of the largest entry).
constexpr double kDepthwiseRelFp32 = 1e-5;
constexpr double kDepthwiseWeightRelFp32 = 1e-4;
constexpr double kDepthwiseRelBf16 = 5e-3;

// The fused convolution or, for the dry run, the same math as the kernel (fp32 arithmetic, results
// in the input's and weight's dtypes).
torch::Tensor depthwise(const Target& target, const torch::Tensor& x, const torch::Tensor& w) {
  if (!target.dry_run) return kernels::fused_depthwise_conv2d(x, w);
  return reference::depthwise_conv2d(x.to(torch::kFloat), w.to(torch::kFloat)).to(x.scalar_type());
}

struct DepthwiseCase {
  int64_t b, c, h, w, k;
  bool big;  // skipped by --quick; timed
};

// Forward, input gradient and weight gradient of the depthwise convolution on a channels-last
// input. Timed rows (big cases): the forward launch, the backward launch (both gradients, on the dx
// row) and forward + backward through autograd (on the dw row), each against ATen (cuDNN) in the
// same dtypes (an fp32 weight cast to bf16 for a bf16 input, as autocast would).
void check_case(const DepthwiseCase& c, const Precision& p, const Target& target, std::vector<Row>& rows) {
  const auto cuda = torch::TensorOptions().device(target.device);
  const auto cl = torch::MemoryFormat::ChannelsLast;
  const auto x = torch::randn({c.b, c.c, c.h, c.w}, cuda).to(p.q).contiguous(cl);
  const auto w = (torch::randn({c.c, 1, c.k, c.k}, cuda) / static_cast<double>(c.k)).to(p.k);
  // Representable in the input's dtype (the output's), so that every path sees the same gradient.
  const auto dout = torch::randn({c.b, c.c, c.h, c.w}, cuda).to(p.q).contiguous(cl);

  auto x64 = x.to(torch::kFloat64).requires_grad_(true), w64 = w.to(torch::kFloat64).requires_grad_(true);
  const auto ref = reference::depthwise_conv2d(x64, w64);
  ref.backward(dout.to(torch::kFloat64));
  // The reference path the model would run: conv2d in the input's dtype.
  auto x32 = x.detach().requires_grad_(true), w32 = w.detach().to(p.q).requires_grad_(true);
  const auto ref32 = reference::depthwise_conv2d(x32, w32);
  ref32.backward(dout);

  kernels::set_poison_outputs(true);
  auto xf = x.detach().requires_grad_(true), wf = w.detach().requires_grad_(true);
  const auto out = depthwise(target, xf, wf);
  out.backward(dout);
  target.synchronize();
  kernels::set_poison_outputs(false);

  const auto shape = cat("b=", c.b, " c=", c.c, " ", c.h, "x", c.w, " k=", c.k);
  const auto bound = [](torch::ScalarType t, double fp32) {
    return t == torch::kBFloat16 ? kDepthwiseRelBf16 : fp32;
  };
  Row fwd = make_row("dwconv fwd", shape, p.name, out, rel_error(out, ref), bound(p.q, kDepthwiseRelFp32),
                     rel_error(ref32, ref));
  Row dx = make_row("dwconv dx", shape, p.name, xf.grad(), rel_error(xf.grad(), x64.grad()),
                    bound(p.q, kDepthwiseRelFp32), rel_error(x32.grad(), x64.grad()));
  Row dw = make_row("dwconv dw", shape, p.name, wf.grad(), rel_error(wf.grad(), w64.grad()),
                    bound(p.k, kDepthwiseWeightRelFp32), rel_error(w32.grad(), w64.grad()));
  if (c.big && target.timed()) {
    const auto wq = w.to(p.q);
    {
      torch::NoGradGuard no_grad;
      fwd.fused_ms = median_ms([&] { kernels::depthwise_conv2d_forward_cuda(x, w); }, target.repeats);
      fwd.reference_ms = median_ms([&] { reference::depthwise_conv2d(x, wq); }, target.repeats);
      dx.fused_ms = median_ms([&] { kernels::depthwise_conv2d_backward_cuda(dout, x, w); }, target.repeats);
      dx.reference_ms = median_ms(
          [&] {
            at::convolution_backward(dout, x, wq, std::nullopt, {1, 1}, {c.k / 2, c.k / 2}, {1, 1}, false,
                                     {0, 0}, c.c, {true, true, false});
          },
          target.repeats);
    }
    auto step = [&](bool fused) {
      auto xg = x.detach().requires_grad_(true), wg = w.detach().requires_grad_(true);
      const auto o = fused ? depthwise(target, xg, wg) : reference::depthwise_conv2d(xg, wg.to(p.q));
      torch::autograd::grad({o}, {xg, wg}, {dout});
    };
    dw.fused_ms = median_ms([&] { step(true); }, target.repeats);
    dw.reference_ms = median_ms([&] { step(false); }, target.repeats);
  }
  rows.push_back(fwd);
  rows.push_back(dx);
  rows.push_back(dw);
}

}  // namespace

void check_depthwise_conv(const Target& target, std::vector<Row>& rows) {
  // 1 x 1 maps (all taps but the centre in the padding), filters wider than the map, C off the
  // 32-channel chunk and off the 8-channel bf16 vectors, maps off the 8 x 16 tile; the SOFT-Tiny
  // stages at 224 px (batch 128) and one 1344 px stage-1 map (batch 8).
  const std::vector<DepthwiseCase> depthwise = {
      {1, 1, 1, 1, 1, false},     {3, 5, 1, 1, 3, false},      {3, 7, 9, 13, 9, false},
      {2, 64, 9, 13, 11, false},  {3, 130, 9, 13, 3, false},   {1, 5, 17, 35, 5, false},
      {2, 40, 20, 33, 7, false},  {2, 64, 56, 56, 9, false},   {3, 7, 56, 56, 1, false},
      {128, 64, 56, 56, 9, true}, {128, 128, 28, 28, 5, true}, {128, 320, 14, 14, 3, true},
      {8, 64, 336, 336, 9, true}};
  const std::vector<Precision> depthwise_precisions = {
      {"fp32", torch::kFloat, torch::kFloat, torch::kFloat},
      {"bf16", torch::kBFloat16, torch::kBFloat16, torch::kBFloat16},
      {"bf16/fp32", torch::kBFloat16, torch::kFloat, torch::kBFloat16}};  // bf16 input, fp32 weight
  for (const auto& c : depthwise) {
    if ((target.quick || target.dry_run) && c.big) continue;
    for (const auto& p : depthwise_precisions) check_case(c, p, target, rows);
  }
}

}  // namespace softvit::kernels::check
