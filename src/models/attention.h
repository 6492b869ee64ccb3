// One interface for every token mixer: tokens in, tokens out. `grid_h` x `grid_w` is the spatial
// layout of the last grid_h*grid_w tokens (any tokens before them, e.g. a cls token, are extra);
// softmax attention ignores it, landmark and local-conv attentions need it.
#pragma once
#include <torch/torch.h>

namespace softvit {

struct Attention : torch::nn::Module {
  // x: B x N x C -> B x N x C
  virtual torch::Tensor forward(const torch::Tensor& x, int64_t grid_h, int64_t grid_w) = 0;
  // Explanations only: the same output computed through the token mixing as an explicit operator,
  // out(merge_heads(M V)) with M B x heads x N x N, handed out in *mixing (in the autograd graph) for
  // gradient-weighted attention rollout (eval/explain). Attentions without one return an undefined
  // tensor, and the caller says so.
  virtual torch::Tensor forward_with_operator(const torch::Tensor&, int64_t, int64_t, torch::Tensor* mixing) {
    *mixing = torch::Tensor();
    return {};
  }
};

using AttentionPtr = std::shared_ptr<Attention>;

}  // namespace softvit
