#include "models/tapped_blocks.h"

#include "models/vit.h"

namespace softvit {

torch::Tensor forward_blocks_tapped(torch::nn::ModuleList& blocks, torch::Tensor x, TokenMapForward& out) {
  const auto depth = static_cast<int64_t>(blocks->size());
  {
    torch::NoGradGuard no_grad;
    for (int64_t i = 0; i + 1 < depth; ++i) x = blocks[i]->as<VitBlock>()->forward(x, out.grid_h, out.grid_w);
  }
  return blocks[depth - 1]->as<VitBlock>()->forward_tapped(x, out.grid_h, out.grid_w, &out.tokens);
}

}  // namespace softvit
