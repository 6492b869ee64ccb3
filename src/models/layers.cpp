#include "models/layers.h"

namespace softvit {

torch::Tensor DropPath::forward(const torch::Tensor& x) {
  if (p == 0.0 || !is_training()) return x;
  const double keep = 1.0 - p;
  std::vector<int64_t> shape(x.dim(), 1);
  shape[0] = x.size(0);
  auto mask = torch::empty(shape, x.options()).bernoulli_(keep);
  return x * mask / keep;
}

Mlp::Mlp(int64_t dim, int64_t hidden, double p, bool tanh) : tanh_gelu(tanh) {
  fc1 = register_module("fc1", Linear(dim, hidden));
  fc2 = register_module("fc2", Linear(hidden, dim));
  drop = register_module("drop", torch::nn::Dropout(p));
}

torch::Tensor Mlp::forward(const torch::Tensor& x) {
  auto h = torch::gelu(fc1->forward(x), tanh_gelu ? "tanh" : "none");
  return drop->forward(fc2->forward(drop->forward(h)));
}

void trunc_normal_(torch::Tensor tensor, double std) {
  torch::NoGradGuard no_grad;
  // Inverse-CDF sampling of the truncated normal, as torch.nn.init.trunc_normal_ does.
  const double a = -2.0, b = 2.0;  // in units of std
  auto cdf = [](double v) { return 0.5 * (1.0 + std::erf(v / std::sqrt(2.0))); };
  tensor.uniform_(2 * cdf(a) - 1, 2 * cdf(b) - 1);
  tensor.erfinv_().mul_(std * std::sqrt(2.0)).clamp_(a * std, b * std);
}

void init_vit_weights(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (auto& child : module.modules(/*include_self=*/false)) {
    if (auto* linear = child->as<torch::nn::Linear>()) {
      trunc_normal_(linear->weight, 0.02);
      if (linear->bias.defined()) linear->bias.zero_();
    } else if (auto* norm = child->as<torch::nn::LayerNorm>()) {
      if (norm->weight.defined()) norm->weight.fill_(1.0);
      if (norm->bias.defined()) norm->bias.zero_();
    }
  }
}

torch::Tensor resize_pos_embed(const torch::Tensor& grid_embed, int64_t gh, int64_t gw, int64_t h, int64_t w,
                               Interpolation mode) {
  if (gh == h && gw == w) return grid_embed;
  const auto c = grid_embed.size(-1);
  auto grid = grid_embed.reshape({1, gh, gw, c}).permute({0, 3, 1, 2});
  grid = torch::nn::functional::interpolate(
      grid.to(torch::kFloat32),
      torch::nn::functional::InterpolateFuncOptions()
          .size(std::vector<int64_t>{h, w})
          .mode(mode == Interpolation::bicubic
                    ? torch::nn::functional::InterpolateFuncOptions::mode_t(torch::kBicubic)
                    : torch::kBilinear)
          .align_corners(false));
  return grid.permute({0, 2, 3, 1}).reshape({1, h * w, c}).to(grid_embed.dtype());
}

}  // namespace softvit
