// The check of the fused Newton-Schulz iteration (newton_pinv.cu) for `softvit check kernels`: SOFT's
// landmark kernel matrices (m = 1 .. 64, some near-singular), fp32 and bf16 inputs, the result as
// max |fused - ref| / max |ref| against the reference loop in fp64 on the same (rounded) inputs;
// median times against the reference loop on the large cases.
#include <torch/torch.h>

#include <cmath>
#include <vector>

#include "core/strings.h"
#include "kernels/check_registry.h"
#include "kernels/check_util.h"
#include "kernels/gaussian_kernel.h"
#include "kernels/newton_pinv.h"
#include "kernels/output_poison.h"
#include "models/attention/gaussian_kernel.h"
#include "models/attention/newton_pinv.h"

namespace softvit::kernels::check {
namespace {

// The Newton inverse amplifies fp32 rounding over 20 iterations (entries up to 1 / regularisation).
constexpr double kNewtonRel = 1e-3;

// The fused iteration, or for the dry run the reference loop standing in for it.
torch::Tensor newton(const Target& target, const torch::Tensor& a, const NewtonOptions& o) {
  return target.dry_run ? newton_pinv_value(a, o)
                        : kernels::newton_pinv_cuda(a, o.iterations, o.regularization);
}

void check_case(const std::vector<int64_t>& batch, int64_t m, bool big, torch::ScalarType dtype,
                const Target& target, std::vector<Row>& rows) {
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
  const auto got = newton(target, a32, o);
  target.synchronize();
  kernels::set_poison_outputs(false);
  Row r = make_row("newton pinv", shape_text(batch, cat("m=", m, " it=", o.iterations)),
                   dtype == torch::kFloat ? "fp32" : "bf16", got, rel_error(got, ref), kNewtonRel,
                   rel_error(ref32, ref));
  if (big && target.timed()) {
    r.fused_ms = median_ms([&] { newton(target, a32, o); }, target.repeats);
    kernels::set_fused_kernels_enabled(false);
    r.reference_ms = median_ms([&] { newton_pinv_value(a32, o); }, target.repeats);
    kernels::set_fused_kernels_enabled(true);
  }
  rows.push_back(r);
}

}  // namespace

void check_newton_pinv(const Target& target, std::vector<Row>& rows) {
  for (int64_t m : {1, 5, 49, 50, 64})
    for (auto dtype : {torch::kFloat, torch::kBFloat16}) check_case({3}, m, false, dtype, target, rows);
  if (!target.quick && !target.dry_run) {
    check_case({256, 2}, 49, true, torch::kFloat, target, rows);
    check_case({128, 10}, 49, true, torch::kFloat, target, rows);
    check_case({1}, 64, true, torch::kFloat, target, rows);
  }
}

}  // namespace softvit::kernels::check
