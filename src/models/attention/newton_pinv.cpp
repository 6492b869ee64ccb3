#include "models/attention/newton_pinv.h"

#include <ATen/record_function.h>

#include "kernels/newton_pinv.h"
#include "models/attention/precision.h"

namespace softvit {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

struct NewtonPinvFunction : torch::autograd::Function<NewtonPinvFunction> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& a, int64_t iterations,
                               double regularization) {
    auto v = newton_pinv_value(a, {iterations, regularization});
    ctx->save_for_backward({v});
    return v;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    NoAutocast fp32;
    const auto vt = ctx->get_saved_variables()[0].transpose(-2, -1);
    const auto g = grads[0].to(vt.scalar_type());
    return {-torch::matmul(torch::matmul(vt, g), vt), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor newton_pinv_value(const torch::Tensor& a, const NewtonOptions& options) {
  TORCH_CHECK(a.dim() >= 2 && a.size(-1) == a.size(-2), "newton_pinv expects square matrices, got ",
              a.sizes());
  // Named scope: the FLOP counter reports the iterations separately (published counts omit them).
  RECORD_USER_SCOPE("softvit::newton_pinv");
  torch::NoGradGuard no_grad;
  // CUDA, up to 64 x 64: all iterations in one kernel (kernels/newton_pinv.h); the loop below is the
  // reference and runs everywhere else.
  if (kernels::fused_newton_supported(a))
    return kernels::newton_pinv_cuda(a, options.iterations, options.regularization);
  NoAutocast fp32;
  const auto mat = at_least_fp32(a);
  const auto p = mat + options.regularization * torch::eye(mat.size(-1), mat.options());
  const auto max_row_sum = mat.abs().sum(-1).amax(-1);  // one value per matrix
  const auto alpha = (0.9 * 2.0 / max_row_sum.square()).unsqueeze(-1).unsqueeze(-1);
  auto v = alpha * p;
  for (int64_t i = 0; i < options.iterations; ++i) v = 2.0 * v - torch::matmul(torch::matmul(v, p), v);
  return v;
}

torch::Tensor newton_pinv(const torch::Tensor& a, const NewtonOptions& options) {
  return NewtonPinvFunction::apply(a, options.iterations, options.regularization);
}

}  // namespace softvit
