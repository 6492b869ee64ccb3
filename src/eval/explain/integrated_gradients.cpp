#include "eval/explain/integrated_gradients.h"

namespace softvit {

torch::Tensor integrated_gradients(Model& model, const torch::Tensor& images, const torch::Tensor& classes,
                                   int64_t steps) {
  TORCH_CHECK(steps >= 1, "integrated gradients need at least one step");
  const int64_t b = images.size(0);
  TORCH_CHECK(classes.numel() == b, "one class per image is needed");
  torch::AutoGradMode grad_on(true);
  const auto index = classes.to(images.device()).view({b, 1});
  const auto input = images.detach();
  auto total = torch::zeros_like(input);
  for (int64_t s = 0; s < steps; ++s) {
    const double a = (static_cast<double>(s) + 0.5) / static_cast<double>(steps);
    const auto point = (input * a).requires_grad_(true);  // x' + a (x - x') with x' = 0
    // The images of a batch do not interact (eval mode), so the sum's gradient is each image's own.
    const auto chosen = model.forward(point).gather(1, index).sum();
    total += torch::autograd::grad({chosen}, {point})[0];
  }
  return (input * total / static_cast<double>(steps)).sum(1);
}

torch::Tensor patch_relevance(const torch::Tensor& attributions, int64_t cell) {
  TORCH_CHECK(cell >= 1, "the patch must be at least one pixel");
  const int64_t h = attributions.size(1), w = attributions.size(2);
  const int64_t grid_h = (h + cell - 1) / cell, grid_w = (w + cell - 1) / cell;
  const auto padded = torch::constant_pad_nd(attributions, {0, grid_w * cell - w, 0, grid_h * cell - h});
  return padded.reshape({-1, grid_h, cell, grid_w, cell}).sum({2, 4}).relu();
}

}  // namespace softvit
