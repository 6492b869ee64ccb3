// softvit check kernels: the fused CUDA kernels (src/kernels) against the reference paths, on the
// GPU. For random inputs of awkward sizes (n not a multiple of the 128-row tile, m = 1 .. 130 across
// landmark chunks of 64, d = 3 .. 100, batch 1 up to 256 x heads), fp32 and bf16:
//   - error of the fused result against the reference path run in fp64 on the same (rounded) inputs,
//     forward and backward, with the fp32 reference path's own error beside it for context;
//   - every output element written: the fused launches run with NaN-poisoned output buffers
//     (kernels/output_poison.h), so an element a kernel skips stays NaN;
//   - median times (CUDA events) of fused against the fp32/bf16 reference path, and the speed-up;
//   - one SOFT attention layer end to end (fused against reference, both against fp64);
//   - the depthwise convolution of SOFT's local path (B, C = 1 .. 130, 1 x 1 .. 56 x 56 maps,
//     k = 1 .. 11, fp32, bf16 and bf16 with an fp32 weight): forward, input and weight gradient
//     against ATen's conv2d in fp64, timed against cuDNN at the SOFT-Tiny stage shapes;
//   - LayerNorm (rows x C, C = 1 .. 1024; fp32 or bf16 in and out): output, input gradient and the
//     gamma / beta gradients against ATen's layer_norm in fp64, timed against ATen's at the SOFT-Tiny
//     and DeiT-Tiny shapes.
// Errors: forward of the Gaussian kernel as max |fused - ref| (values lie in (0, 1]); gradients,
// the Newton inverse and the depthwise convolution as max |fused - ref| / max |ref| (norm-wise
// relative). Prints a table, writes the rows as JSON with --json, and exits non-zero when any row
// fails. --quick: the small kernel cases only (for compute-sanitizer); --cpu-dry-run: the harness
// itself on the CPU, the reference paths standing in for the fused kernels (a CI test runs it).
#include <c10/core/Event.h>
#include <c10/core/impl/DeviceGuardImplInterface.h>
#include <torch/cuda.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>

#include "cli/commands.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/strings.h"
#include "kernels/depthwise_conv.h"
#include "kernels/gaussian_kernel.h"
#include "kernels/layer_norm.h"
#include "kernels/newton_pinv.h"
#include "kernels/output_poison.h"
#include "models/attention/depthwise_conv.h"
#include "models/attention/gaussian_kernel.h"
#include "models/attention/newton_pinv.h"
#include "models/attention_registry.h"
#include "train/autocast.h"

namespace softvit::cli {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Bounds, stated once. The forward bound covers fp32 summation of d <= 128 exact squared
// differences plus expf (a few ulp); gradients in fp32 accumulate m or n terms; bf16 gradients are
// rounded to bf16 (2^-9 relative) at the end; the Newton inverse amplifies fp32 rounding over 20
// iterations (entries up to 1 / regularisation). A bf16 output (saved for the backward in bf16)
// puts both gradients under the bf16 bound.
constexpr double kForwardAbs = 1e-5;
constexpr double kForwardAbsBf16 = 4e-3;  // bf16 output: rounding of values <= 1, 2^-9 at most
constexpr double kGradRelFp32 = 1e-4;
constexpr double kGradRelBf16 = 1e-2;
constexpr double kNewtonRel = 1e-3;
// Depthwise convolution: an output (and input-gradient) entry sums k^2 <= 121 fp32 products; a
// weight-gradient entry sums B x H x W of them (per-block partial sums, then fp32 atomics); a result
// stored in bf16 is rounded once (bf16's unit roundoff 2^-8: at most 3.9e-3 of the largest entry).
constexpr double kDepthwiseRelFp32 = 1e-5;
constexpr double kDepthwiseWeightRelFp32 = 1e-4;
constexpr double kDepthwiseRelBf16 = 5e-3;
// LayerNorm: an fp32 output is a few roundings from the fp64 value; a bf16 output or input
// gradient is rounded once more (2^-8 relative at most); gradients sum C (dx) or all rows
// (dgamma, dbeta: per-warp partial sums, then ATen's sum) in fp32.
constexpr double kLayerNormRelFp32 = 1e-5;
constexpr double kLayerNormRelBf16 = 5e-3;

struct Args {
  std::string json;
  int repeats = 20;
  bool quick = false;  // the small kernel cases only: no timing, no layer (for compute-sanitizer)
  bool cpu_dry_run = false;
};

// What is checked: the fused CUDA kernels or, for --cpu-dry-run (a self-test of this harness that
// runs in CI), the reference paths on the CPU standing in for them.
struct Target {
  bool dry_run = false;
  torch::Device device{torch::kCUDA};

  torch::Tensor gaussian(const torch::Tensor& q, const torch::Tensor& k, torch::ScalarType out) const {
    return dry_run ? reference::gaussian_kernel(q, k).to(out) : kernels::fused_gaussian_kernel(q, k, out);
  }
  torch::Tensor gaussian_forward(const torch::Tensor& q, const torch::Tensor& k,
                                 torch::ScalarType out) const {
    return dry_run ? reference::gaussian_kernel(q, k).to(out) : kernels::gaussian_forward_cuda(q, k, out);
  }
  torch::Tensor newton(const torch::Tensor& a, const NewtonOptions& o) const {
    return dry_run ? newton_pinv_value(a, o) : kernels::newton_pinv_cuda(a, o.iterations, o.regularization);
  }
  // Dry run: the same math as the kernel (fp32 arithmetic, results in the input's and weight's dtypes).
  torch::Tensor depthwise(const torch::Tensor& x, const torch::Tensor& w) const {
    if (!dry_run) return kernels::fused_depthwise_conv2d(x, w);
    return reference::depthwise_conv2d(x.to(torch::kFloat), w.to(torch::kFloat)).to(x.scalar_type());
  }
  // Dry run: ATen's layer_norm in fp32 (what autocast runs), the result cast to out.
  torch::Tensor layer_norm(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b, double eps,
                           torch::ScalarType out) const {
    if (!dry_run) return kernels::fused_layer_norm(x, w, b, eps, out);
    return at::layer_norm(x.to(torch::kFloat), {x.size(-1)}, w, b, eps).to(out);
  }
  void synchronize() const {
    if (device.is_cuda()) torch::cuda::synchronize();
  }
  bool timed(const Args& a) const { return !dry_run && !a.quick; }
};

struct Row {
  std::string kernel, shape, dtype;
  double error = kNaN, bound = kNaN, reference_error = kNaN;  // reference_error: the fp32 path's
  bool written = true, pass = false;
  double fused_ms = kNaN, reference_ms = kNaN;
};

// Median milliseconds of fn() on the current CUDA stream, after two untimed calls.
double median_ms(const std::function<void()>& fn, int repeats) {
  const auto* impl = c10::impl::getDeviceGuardImpl(c10::DeviceType::CUDA);
  const auto stream = impl->getStream(c10::Device(c10::DeviceType::CUDA));
  fn();
  fn();
  std::vector<double> ms;
  for (int r = 0; r < repeats; ++r) {
    c10::Event start(c10::DeviceType::CUDA, c10::EventFlag::BACKEND_DEFAULT);
    c10::Event stop(c10::DeviceType::CUDA, c10::EventFlag::BACKEND_DEFAULT);
    start.record(stream);
    fn();
    stop.record(stream);
    stop.synchronize();
    ms.push_back(start.elapsedTime(stop));
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

double max_abs(const torch::Tensor& t) { return t.abs().max().item<double>(); }
double abs_error(const torch::Tensor& got, const torch::Tensor& expected) {
  return max_abs(got.to(torch::kFloat64) - expected.to(torch::kFloat64));
}
double rel_error(const torch::Tensor& got, const torch::Tensor& expected) {
  return abs_error(got, expected) / std::max(max_abs(expected.to(torch::kFloat64)), 1e-30);
}
// Relative to max(max |ref|, 1): where the reference is zero in exact arithmetic (a LayerNorm of
// width 1 has xhat, dx and dgamma all zero) its rounding noise is no scale to divide by.
double rel_error_floor_1(const torch::Tensor& got, const torch::Tensor& expected) {
  return abs_error(got, expected) / std::max(max_abs(expected.to(torch::kFloat64)), 1.0);
}
bool all_written(const torch::Tensor& t) { return !t.isnan().any().item<bool>(); }

Row make_row(std::string kernel, std::string shape, std::string dtype, const torch::Tensor& got, double error,
             double bound, double reference_error) {
  Row r{std::move(kernel), std::move(shape), std::move(dtype)};
  r.error = error, r.bound = bound, r.reference_error = reference_error;
  r.written = all_written(got);
  r.pass = r.written && error <= bound;  // NaN error fails too
  return r;
}

std::vector<int64_t> with(std::vector<int64_t> batch, std::initializer_list<int64_t> tail) {
  batch.insert(batch.end(), tail);
  return batch;
}

std::string shape_text(const std::vector<int64_t>& batch, const std::string& rest) {
  std::vector<std::string> parts;
  for (auto b : batch) parts.push_back(std::to_string(b));
  return "b=" + join(parts, "x") + " " + rest;
}

struct GaussianCase {
  std::vector<int64_t> batch;
  int64_t n, m, d;
  bool big;  // skipped by --quick; timed
};

struct Precision {
  std::string name;
  torch::ScalarType q, k, out;
};

void check_gaussian(const GaussianCase& c, const Precision& p, const Args& a, const Target& target,
                    std::vector<Row>& rows) {
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
  const auto out = target.gaussian(qf, kf, p.out);
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
  if (c.big && target.timed(a)) {
    torch::NoGradGuard no_grad;
    fwd.fused_ms = median_ms([&] { target.gaussian_forward(q, k, p.out); }, a.repeats);
    fwd.reference_ms = median_ms([&] { reference::gaussian_kernel(q, k).to(p.out); }, a.repeats);
  }
  if (c.big && target.timed(a)) {  // forward + backward, on the dq row
    auto step = [&](bool fused) {
      auto qg = q.detach().requires_grad_(true), kg = k.detach().requires_grad_(true);
      const auto o = fused ? target.gaussian(qg, kg, p.out) : reference::gaussian_kernel(qg, kg).to(p.out);
      torch::autograd::grad({o}, {qg, kg}, {dout.to(p.out)});
    };
    dq.fused_ms = median_ms([&] { step(true); }, a.repeats);
    dq.reference_ms = median_ms([&] { step(false); }, a.repeats);
  }
  rows.push_back(fwd);
  rows.push_back(dq);
  rows.push_back(dk);
}

void check_newton(const std::vector<int64_t>& batch, int64_t m, bool big, torch::ScalarType dtype,
                  const Args& a, const Target& target, std::vector<Row>& rows) {
  const auto cuda = torch::TensorOptions().device(target.device);
  // SOFT's landmark kernel matrices: points at the queries' scale (some near-singular).
  const auto x = torch::randn(with(batch, {m, 32}), cuda) * (0.5 / std::sqrt(32.0));
  const auto a32 = reference::gaussian_kernel(x, x).to(dtype);
  const NewtonOptions o;
  const auto ref = newton_pinv_value(a32.to(torch::kFloat64), o);  // fp64: the reference loop
  kernels::set_fused_kernels_enabled(false);
  const auto ref32 = newton_pinv_value(a32, o);
  kernels::set_fused_kernels_enabled(true);
  kernels::set_poison_outputs(true);
  const auto got = target.newton(a32, o);
  target.synchronize();
  kernels::set_poison_outputs(false);
  Row r = make_row("newton pinv", shape_text(batch, cat("m=", m, " it=", o.iterations)),
                   dtype == torch::kFloat ? "fp32" : "bf16", got, rel_error(got, ref), kNewtonRel,
                   rel_error(ref32, ref));
  if (big && target.timed(a)) {
    r.fused_ms = median_ms([&] { target.newton(a32, o); }, a.repeats);
    kernels::set_fused_kernels_enabled(false);
    r.reference_ms = median_ms([&] { newton_pinv_value(a32, o); }, a.repeats);
    kernels::set_fused_kernels_enabled(true);
  }
  rows.push_back(r);
}

// One SOFT attention layer (SOFT-Tiny stage 1: width 64, 2 heads, 56 x 56 tokens, 49 landmarks):
// the output and input gradient in fp32 with the fused kernels and with the reference paths, both
// against the layer in fp64. Passes when the fused error is within twice the reference's (plus a
// little): fusing must not make the layer less accurate. Times the bf16 autocast step of both.
void check_soft_layer(const Args& a, const Target& target, std::vector<Row>& rows) {
  AttentionOptions o;
  o.dim = 64, o.num_heads = 2, o.sr_ratio = 8, o.local_conv = 3, o.landmark_count = 49;
  auto layer = make_attention("soft", o);
  layer->to(target.device);
  auto clear_grads = [&] {  // each run starts from none (and the dtype changes between runs)
    for (auto& p : layer->parameters()) p.mutable_grad() = torch::Tensor();
  };
  const int64_t batch = target.dry_run ? 1 : 8, side = 56;
  const auto cuda = torch::TensorOptions().device(target.device);
  const auto x0 = torch::randn({batch, side * side, o.dim}, cuda);
  const auto dy = torch::randn({batch, side * side, o.dim}, cuda);
  auto run = [&](torch::ScalarType t, bool fused) {
    kernels::set_fused_kernels_enabled(fused);
    clear_grads();
    layer->to(t);
    auto x = x0.to(t).detach().requires_grad_(true);  // a fresh leaf: to() is a no-op for fp32
    auto y = layer->forward(x, side, side);
    y.backward(dy.to(t));
    kernels::set_fused_kernels_enabled(true);
    return std::make_pair(y.detach(), x.grad());
  };
  const auto [y64, g64] = run(torch::kFloat64, false);
  const auto [y_ref, g_ref] = run(torch::kFloat32, false);
  const auto [y_fused, g_fused] = run(torch::kFloat32, true);
  const auto shape = cat("b=", batch, " n=3136 m=49 d=32");
  const double y_ref_err = rel_error(y_ref, y64), g_ref_err = rel_error(g_ref, g64);
  rows.push_back(make_row("soft layer y", shape, "fp32", y_fused, rel_error(y_fused, y64),
                          2 * y_ref_err + 1e-5, y_ref_err));
  Row grad = make_row("soft layer dx", shape, "fp32", g_fused, rel_error(g_fused, g64), 2 * g_ref_err + 1e-5,
                      g_ref_err);
  if (target.timed(a)) {  // a bf16 training step of the layer at batch 128
    layer->to(torch::kFloat32);
    const auto xb = torch::randn({128, side * side, o.dim}, cuda), dyb = torch::randn_like(xb);
    auto step = [&](bool fused) {
      kernels::set_fused_kernels_enabled(fused);
      clear_grads();
      AutocastScope autocast(xb.device(), true);
      auto x = xb.detach().requires_grad_(true);
      layer->forward(x, side, side).backward(dyb);
      kernels::set_fused_kernels_enabled(true);
    };
    grad.fused_ms = median_ms([&] { step(true); }, a.repeats);
    grad.reference_ms = median_ms([&] { step(false); }, a.repeats);
    grad.dtype = "fp32 (time: bf16 b=128)";
  }
  rows.push_back(grad);
}

struct DepthwiseCase {
  int64_t b, c, h, w, k;
  bool big;  // skipped by --quick; timed
};

// Forward, input gradient and weight gradient of the depthwise convolution on a channels-last
// input. Timed rows (big cases): the forward launch, the backward launch (both gradients, on the dx
// row) and forward + backward through autograd (on the dw row), each against ATen (cuDNN) in the
// same dtypes (an fp32 weight cast to bf16 for a bf16 input, as autocast would).
void check_depthwise(const DepthwiseCase& c, const Precision& p, const Args& a, const Target& target,
                     std::vector<Row>& rows) {
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
  const auto out = target.depthwise(xf, wf);
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
  if (c.big && target.timed(a)) {
    const auto wq = w.to(p.q);
    {
      torch::NoGradGuard no_grad;
      fwd.fused_ms = median_ms([&] { kernels::depthwise_conv2d_forward_cuda(x, w); }, a.repeats);
      fwd.reference_ms = median_ms([&] { reference::depthwise_conv2d(x, wq); }, a.repeats);
      dx.fused_ms = median_ms([&] { kernels::depthwise_conv2d_backward_cuda(dout, x, w); }, a.repeats);
      dx.reference_ms = median_ms(
          [&] {
            at::convolution_backward(dout, x, wq, std::nullopt, {1, 1}, {c.k / 2, c.k / 2}, {1, 1}, false,
                                     {0, 0}, c.c, {true, true, false});
          },
          a.repeats);
    }
    auto step = [&](bool fused) {
      auto xg = x.detach().requires_grad_(true), wg = w.detach().requires_grad_(true);
      const auto o = fused ? target.depthwise(xg, wg) : reference::depthwise_conv2d(xg, wg.to(p.q));
      torch::autograd::grad({o}, {xg, wg}, {dout});
    };
    dw.fused_ms = median_ms([&] { step(true); }, a.repeats);
    dw.reference_ms = median_ms([&] { step(false); }, a.repeats);
  }
  rows.push_back(fwd);
  rows.push_back(dx);
  rows.push_back(dw);
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
void check_layer_norm(const LayerNormCase& c, const NormPrecision& p, const Args& a, const Target& target,
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
  const auto out = target.layer_norm(xf, wf, bf, eps, p.out);
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
  if (c.big && target.timed(a)) {
    {
      torch::NoGradGuard no_grad;
      fwd.fused_ms = median_ms([&] { kernels::layer_norm_forward_cuda(x, w, b, eps, p.out); }, a.repeats);
      fwd.reference_ms = median_ms([&] { reference_path(x, w, b); }, a.repeats);
    }
    auto step = [&](bool fused) {
      auto xg = x.detach().requires_grad_(true), wg = w.detach().requires_grad_(true),
           bg = b.detach().requires_grad_(true);
      const auto o = fused ? target.layer_norm(xg, wg, bg, eps, p.out) : reference_path(xg, wg, bg);
      torch::autograd::grad({o}, {xg, wg, bg}, {dout});
    };
    dx.fused_ms = median_ms([&] { step(true); }, a.repeats);
    dx.reference_ms = median_ms([&] { step(false); }, a.repeats);
  }
  for (auto& r : {fwd, dx, dw, db}) rows.push_back(r);
}

std::string number(double x, const char* format) {
  if (std::isnan(x)) return "-";
  char text[32];
  std::snprintf(text, sizeof text, format, x);
  return text;
}

void print_rows(const std::vector<Row>& rows) {
  std::printf("%-14s %-30s %-14s %10s %9s %10s %7s %9s %9s %7s %s\n", "kernel", "shape", "dtype", "error",
              "bound", "ref32 err", "written", "fused ms", "ref ms", "speedup", "result");
  for (const auto& r : rows)
    std::printf("%-14s %-30s %-14s %10s %9s %10s %7s %9s %9s %7s %s\n", r.kernel.c_str(), r.shape.c_str(),
                r.dtype.c_str(), number(r.error, "%.2e").c_str(), number(r.bound, "%.0e").c_str(),
                number(r.reference_error, "%.2e").c_str(), r.written ? "all" : "NO",
                number(r.fused_ms, "%.3f").c_str(), number(r.reference_ms, "%.3f").c_str(),
                number(r.reference_ms / r.fused_ms, "%.2fx").c_str(), r.pass ? "ok" : "FAIL");
  std::fflush(stdout);
}

void run(const Args& a) {
  Target target;
  if (a.cpu_dry_run) {
    target.dry_run = true;
    target.device = torch::kCPU;
  } else if (!kernels::cuda_kernels_compiled()) {
    throw ConfigError("check kernels: this build has no CUDA kernels (nvcc was not found at configure time)");
  } else if (!torch::cuda::is_available()) {
    throw ConfigError("check kernels: no CUDA device");
  }
  torch::manual_seed(0);
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
  std::vector<Row> rows;
  for (const auto& c : gaussian) {
    if ((a.quick || target.dry_run) && c.big) continue;
    for (const auto& p : precisions) check_gaussian(c, p, a, target, rows);
  }
  for (int64_t m : {1, 5, 49, 50, 64})
    for (auto dtype : {torch::kFloat, torch::kBFloat16}) check_newton({3}, m, false, dtype, a, target, rows);
  if (!a.quick && !target.dry_run) {
    check_newton({256, 2}, 49, true, torch::kFloat, a, target, rows);
    check_newton({128, 10}, 49, true, torch::kFloat, a, target, rows);
    check_newton({1}, 64, true, torch::kFloat, a, target, rows);
  }
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
    if ((a.quick || target.dry_run) && c.big) continue;
    for (const auto& p : depthwise_precisions) check_depthwise(c, p, a, target, rows);
  }
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
    if ((a.quick || target.dry_run) && c.big) continue;
    for (const auto& p : norm_precisions) check_layer_norm(c, p, a, target, rows);
  }
  if (!a.quick) check_soft_layer(a, target, rows);
  print_rows(rows);

  const auto failed = std::count_if(rows.begin(), rows.end(), [](const Row& r) { return !r.pass; });
  if (!a.json.empty()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : rows)
      out.push_back({{"kernel", r.kernel},
                     {"shape", r.shape},
                     {"dtype", r.dtype},
                     {"error", r.error},
                     {"bound", r.bound},
                     {"reference_error", r.reference_error},
                     {"written", r.written},
                     {"fused_ms", r.fused_ms},
                     {"reference_ms", r.reference_ms},
                     {"pass", r.pass}});
    write_file_atomic(a.json, out.dump(2) + "\n");
  }
  std::printf("%zu checks, %lld failed\n", rows.size(), static_cast<long long>(failed));
  if (failed > 0) throw TrainError(cat("check kernels: ", failed, " of ", rows.size(), " checks failed"));
}

}  // namespace

void add_check_command(CLI::App& app) {
  auto* check = app.add_subcommand("check", "correctness checks that need the GPU");
  check->require_subcommand(1);
  auto args = std::make_shared<Args>();
  auto* cmd = check->add_subcommand(
      "kernels", "fused CUDA kernels against the reference paths (errors, coverage, speed)");
  cmd->add_option("--json", args->json, "also write the rows as JSON here");
  cmd->add_option("--repeats", args->repeats, "timed repeats per measurement (median)")
      ->check(CLI::Range(1, 1000));
  cmd->add_flag("--quick", args->quick,
                "small kernel cases only, no timing and no layer (for compute-sanitizer)");
  cmd->add_flag("--cpu-dry-run", args->cpu_dry_run,
                "self-test of this check on the CPU: the reference paths stand in for the fused kernels");
  cmd->callback([args] { run(*args); });
}

}  // namespace softvit::cli
