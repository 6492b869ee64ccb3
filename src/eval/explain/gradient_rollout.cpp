#include "eval/explain/gradient_rollout.h"

namespace softvit {

torch::Tensor gradient_rollout_grid(const AttentionMaps& operators,
                                    const std::vector<torch::Tensor>& gradients) {
  TORCH_CHECK(!operators.layers.empty(), "gradient-weighted rollout needs at least one block");
  TORCH_CHECK(gradients.size() == operators.layers.size(), "one gradient per block is needed");
  const auto& first = operators.layers.front();
  const int64_t b = first.size(0), n = first.size(-1);
  auto relevance = torch::eye(n, first.options().dtype(torch::kFloat)).expand({b, n, n});
  for (size_t l = 0; l < gradients.size(); ++l) {
    const auto weighted = (gradients[l].to(torch::kFloat) * operators.layers[l].detach().to(torch::kFloat))
                              .clamp_min(0)
                              .mean(1);  // B x N x N
    relevance = relevance + torch::matmul(weighted, relevance);
  }
  return relevance.select(1, 0)
      .narrow(1, operators.extra_tokens, operators.grid_h * operators.grid_w)
      .reshape({b, operators.grid_h, operators.grid_w});
}

torch::Tensor gradient_rollout(Model& model, const torch::Tensor& images, const torch::Tensor& classes) {
  const int64_t b = images.size(0);
  TORCH_CHECK(classes.numel() == b, "one class per image is needed");
  torch::AutoGradMode grad_on(true);
  const AttentionOperatorForward f = model.forward_attention_operators(images);
  // The images of a batch do not interact (eval mode), so the sum's gradient is each image's own.
  const auto chosen = f.logits.gather(1, classes.to(f.logits.device()).view({b, 1})).sum();
  const auto gradients = torch::autograd::grad({chosen}, f.maps.layers);
  return gradient_rollout_grid(f.maps, gradients).detach();
}

}  // namespace softvit
