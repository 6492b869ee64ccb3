// Small building blocks shared by the backbones.
#pragma once
#include <torch/torch.h>

#include "models/linear.h"

namespace softvit {

// Stochastic depth: drops the whole residual branch per sample with probability p in training.
struct DropPath : torch::nn::Module {
  explicit DropPath(double p) : p(p) {}
  torch::Tensor forward(const torch::Tensor& x);
  double p;
};

// Linear -> GELU -> Dropout -> Linear -> Dropout, named fc1 / fc2 as in timm.
struct Mlp : torch::nn::Module {
  Mlp(int64_t dim, int64_t hidden, double drop, bool tanh_gelu = false);
  torch::Tensor forward(const torch::Tensor& x);
  Linear fc1{nullptr}, fc2{nullptr};
  torch::nn::Dropout drop{nullptr};
  bool tanh_gelu;
};

// Fills in place from a normal(0, std) truncated to [-2 std, 2 std] (timm's trunc_normal_).
void trunc_normal_(torch::Tensor tensor, double std);

// timm's default ViT init: Linear weights trunc-normal(0.02), biases 0; LayerNorm 1 / 0.
void init_vit_weights(torch::nn::Module& module);

enum class Interpolation { bicubic, bilinear };

// Resizes a 1 x (gh*gw) x C grid of position embeddings to 1 x (h*w) x C (timm's ViT: bicubic;
// the SOFT pyramid: bilinear). Returns the input itself when the size already fits.
torch::Tensor resize_pos_embed(const torch::Tensor& grid_embed, int64_t gh, int64_t gw, int64_t h, int64_t w,
                               Interpolation mode = Interpolation::bicubic);

}  // namespace softvit
