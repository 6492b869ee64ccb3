#include "models/sync_batch_norm.h"

namespace softvit {
namespace {

// y = sum over processes of x; the adjoint of a sum over processes is the same sum of the gradients.
class SumOverProcessesFn : public torch::autograd::Function<SumOverProcessesFn> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                               const SumOverProcesses* sum) {
    ctx->saved_data["sum"] = reinterpret_cast<int64_t>(sum);
    return (*sum)(x.detach().clone());
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto* sum = reinterpret_cast<const SumOverProcesses*>(ctx->saved_data["sum"].toInt());
    return {(*sum)(grads[0].contiguous().clone()), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor SyncBatchNorm2dImpl::forward(const torch::Tensor& input) {
  if (!sum_over_processes || !is_training()) return torch::nn::BatchNorm2dImpl::forward(input);
  TORCH_CHECK(input.dim() == 4, "SyncBatchNorm2d: expected N x C x H x W, got ", input.sizes());
  const int64_t channels = input.size(1);
  // Statistics in float64: E[x^2] - E[x]^2 loses less, and they are only 3 x C numbers.
  const auto x = input.to(torch::kFloat64);
  const auto local =
      torch::cat({x.sum({0, 2, 3}), (x * x).sum({0, 2, 3}),
                  torch::full({1}, static_cast<double>(input.numel() / channels), x.options())});
  const auto total = SumOverProcessesFn::apply(local, &sum_over_processes);
  const auto count = total[2 * channels].detach();
  const auto mean = total.narrow(0, 0, channels) / count;
  const auto var = (total.narrow(0, channels, channels) / count - mean * mean).clamp_min(0);
  {
    torch::NoGradGuard no_grad;  // running statistics as BatchNorm keeps them: unbiased variance
    const double momentum = options.momentum().value_or(0.1);
    const auto unbiased = var * count / (count - 1).clamp_min(1);  // tensors: no wait for the device
    running_mean.mul_(1 - momentum).add_(mean.to(running_mean.dtype()), momentum);
    running_var.mul_(1 - momentum).add_(unbiased.to(running_var.dtype()), momentum);
    num_batches_tracked.add_(1);
  }
  const auto shape = std::vector<int64_t>{1, channels, 1, 1};
  const auto inv_std = (var + options.eps()).rsqrt();
  auto y = (x - mean.view(shape)) * inv_std.view(shape);
  if (options.affine()) y = y * weight.to(torch::kFloat64).view(shape) + bias.to(torch::kFloat64).view(shape);
  return y.to(input.scalar_type());
}

int64_t sync_batch_norms(torch::nn::Module& model, const SumOverProcesses& sum) {
  int64_t count = 0;
  for (auto& module : model.modules(/*include_self=*/true))
    if (auto* bn = dynamic_cast<SyncBatchNorm2dImpl*>(module.get())) {
      bn->sum_over_processes = sum;
      ++count;
    }
  return count;
}

}  // namespace softvit
