#include "eval/explain/smoothgrad.h"

#include <ATen/CPUGeneratorImpl.h>

#include "eval/explain/integrated_gradients.h"

namespace softvit {

torch::Tensor smoothgrad_noise(int64_t samples, int64_t channels, int64_t height, int64_t width,
                               uint64_t seed) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  return at::randn({samples, channels, height, width}, generator, torch::dtype(torch::kFloat));
}

torch::Tensor smoothgrad_sd(const torch::Tensor& images, double noise_level) {
  const auto flat = images.detach().flatten(1);
  return (noise_level * (flat.amax(1) - flat.amin(1))).view({-1, 1, 1, 1});
}

torch::Tensor smoothgrad_integrated_gradients(Model& model, const torch::Tensor& images,
                                              const torch::Tensor& classes, const SmoothGradSettings& s) {
  TORCH_CHECK(s.samples >= 1, "SmoothGrad needs at least one noisy copy");
  TORCH_CHECK(s.noise_level >= 0, "SmoothGrad's noise level must not be negative");
  TORCH_CHECK(images.dim() == 4, "images must be B x C x H x W");
  const auto input = images.detach();
  const auto noise =
      smoothgrad_noise(s.samples, input.size(1), input.size(2), input.size(3), s.seed).to(input.device());
  const auto sd = smoothgrad_sd(input, s.noise_level);
  torch::Tensor total;
  for (int64_t k = 0; k < s.samples; ++k) {
    const auto ig = integrated_gradients(model, input + sd * noise[k], classes, s.steps);
    total = total.defined() ? total + ig : ig;
  }
  return total / static_cast<double>(s.samples);
}

}  // namespace softvit
