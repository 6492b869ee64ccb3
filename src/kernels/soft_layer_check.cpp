// The end-to-end check for `softvit check kernels`: one SOFT attention layer (SOFT-Tiny stage 1:
// width 64, 2 heads, 56 x 56 tokens, 49 landmarks), the output and input gradient in fp32 with the
// fused kernels and with the reference paths, both against the layer in fp64. Passes when the fused
// error is within twice the reference's (plus a little): fusing must not make the layer less
// accurate. Times the bf16 autocast step of both. Not run by --quick.
#include <torch/torch.h>

#include <utility>
#include <vector>

#include "core/strings.h"
#include "kernels/check_registry.h"
#include "kernels/check_util.h"
#include "kernels/gaussian_kernel.h"
#include "models/attention_registry.h"
#include "train/autocast.h"

namespace softvit::kernels::check {

void check_soft_layer(const Target& target, std::vector<Row>& rows) {
  if (target.quick) return;
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
  if (target.timed()) {  // a bf16 training step of the layer at batch 128
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
    grad.fused_ms = median_ms([&] { step(true); }, target.repeats);
    grad.reference_ms = median_ms([&] { step(false); }, target.repeats);
    grad.dtype = "fp32 (time: bf16 b=128)";
  }
  rows.push_back(grad);
}

}  // namespace softvit::kernels::check
