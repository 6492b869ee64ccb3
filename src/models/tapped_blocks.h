// The blocks' part of forward_token_map (explanations), shared by the ViT and the SOFT pyramid's
// stage 4.
#pragma once
#include <torch/torch.h>

#include "models/model.h"

namespace softvit {

// Runs `blocks` (VitBlocks) on x: all but the last without autograd, since nothing before the
// map is differentiated, then the last with its norm1 output kept in out.tokens, a leaf that
// requires grad. Uses out.grid_h and out.grid_w; returns the last block's output.
torch::Tensor forward_blocks_tapped(torch::nn::ModuleList& blocks, torch::Tensor x, TokenMapForward& out);

}  // namespace softvit
