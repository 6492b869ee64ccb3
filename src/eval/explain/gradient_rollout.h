// Gradient-weighted attention rollout (Chefer, Gur & Wolf 2021, "Generic Attention-model
// Explainability for Interpreting Bi-Modal and Encoder-Decoder Transformers", its self-attention
// rule): with A_l the token mixing of block l (B x heads x N x N: softmax probabilities, or SOFT's
// materialised operator) and dy/dA_l the gradient of the explained class's logit,
//   R = I;  per block, first to last:  R <- R + mean_heads(ReLU(dy/dA_l * A_l)) R
// and the map is the cls token's row of R over the patch tokens. Unlike plain rollout it depends
// on the class, and the ReLU keeps only mixing that raises the class's logit.
#pragma once
#include <torch/torch.h>

#include <vector>

#include "models/model.h"

namespace softvit {

// operators: each block's A_l (maps.layers), gradients: dy/dA_l, the same shapes. B x grid_h x grid_w.
torch::Tensor gradient_rollout_grid(const AttentionMaps& operators,
                                    const std::vector<torch::Tensor>& gradients);

// Runs the model through its explicit operators and returns the map for `classes` (B int64).
// Throws Error for models whose blocks have no explicit operator. Parameters get no gradient.
torch::Tensor gradient_rollout(Model& model, const torch::Tensor& images, const torch::Tensor& classes);

}  // namespace softvit
