// One interface for every token mixer: tokens in, tokens out. `grid_h` x `grid_w` is the spatial
// layout of the last grid_h*grid_w tokens (any tokens before them, e.g. a cls token, are extra);
// softmax attention ignores it, landmark and local-conv attentions need it.
#pragma once
#include <torch/torch.h>

namespace softvit {

struct Attention : torch::nn::Module {
  // x: B x N x C -> B x N x C
  virtual torch::Tensor forward(const torch::Tensor& x, int64_t grid_h, int64_t grid_w) = 0;
};

using AttentionPtr = std::shared_ptr<Attention>;

}  // namespace softvit
