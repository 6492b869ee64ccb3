#include "train/grad_clip.h"

namespace softvit {

torch::Tensor clip_grad_norm_async(const std::vector<torch::Tensor>& parameters, double max_norm) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> grads;
  for (const auto& p : parameters)
    if (p.grad().defined()) grads.push_back(p.grad());
  if (grads.empty()) return {};
  const auto norms = torch::_foreach_norm(grads, 2);  // one launch per chunk of tensors, fp32
  const auto total = torch::linalg_vector_norm(torch::stack(norms), 2);
  const auto scale = (max_norm / (total + 1e-6)).clamp_max(1.0);
  torch::_foreach_mul_(grads, scale);
  return total;
}

}  // namespace softvit
