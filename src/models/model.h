// What every backbone is to the rest of softvit: images in, logits out, plus its name and input.
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

namespace softvit {

// The map Grad-CAM explains (eval/explain): a forward pass that also hands out the token map a
// decision is read from, as a leaf of the autograd graph, so d(logit)/d(tokens) is one
// autograd::grad call and nothing before the map is differentiated.
struct TokenMapForward {
  torch::Tensor logits;      // B x classes, a function of `tokens`
  torch::Tensor tokens;      // B x N x C, requires grad; the last grid_h*grid_w tokens form the grid
  int64_t extra_tokens = 0;  // leading tokens that are not on the grid (the cls token)
  int64_t grid_h = 0, grid_w = 0;
  std::string layer;  // the layer the map is taken from, in the model's parameter names
};

// Softmax attention probabilities of every block, input to output (attention rollout).
struct AttentionMaps {
  std::vector<torch::Tensor> layers;  // B x heads x N x N each
  int64_t extra_tokens = 0, grid_h = 0, grid_w = 0;
};

// A forward pass through every block's token mixing as an explicit operator (gradient-weighted
// attention rollout): maps.layers are those operators, in the autograd graph of the logits.
struct AttentionOperatorForward {
  torch::Tensor logits;
  AttentionMaps maps;
};

struct Model : torch::nn::Module {
  // images: B x C x H x W, normalised float. Returns B x num_classes logits.
  virtual torch::Tensor forward(torch::Tensor images) = 0;
  virtual std::string name() const = 0;
  virtual int64_t num_classes() const = 0;

  // Explanations only; forward() is untouched by them. Models without a token map throw Error.
  virtual TokenMapForward forward_token_map(torch::Tensor images);
  // For attention rollout; throws Error where the blocks are not all softmax attention.
  virtual AttentionMaps attention_probabilities(torch::Tensor images);
  // For gradient-weighted attention rollout; throws Error where a block has no explicit operator.
  virtual AttentionOperatorForward forward_attention_operators(torch::Tensor images);
  // The side in pixels of the finest token grid's cells (a ViT's patch, a pyramid's stage-1
  // stride): input attributions are summed over cells of this size. 1 where there is no such grid.
  virtual int64_t input_cell() const { return 1; }
};

using ModelPtr = std::shared_ptr<Model>;

// Number of trainable scalars.
int64_t count_parameters(const torch::nn::Module& module);

}  // namespace softvit
