// Optimizers with timm's parameter groups: no weight decay on 1-D parameters (norms, biases)
// nor on the cls token and position embeddings.
#pragma once
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "core/config/optim_section.h"

namespace softvit {

struct ParameterGroups {
  std::vector<std::string> decay_names, no_decay_names;
  std::vector<torch::Tensor> decay, no_decay;
};

// With decay_pos_embed, position embeddings get weight decay like any matrix.
ParameterGroups split_parameter_groups(const torch::nn::Module& model, bool decay_pos_embed = false);

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const OptimSection& options,
                                                        const torch::nn::Module& model);

// Sets the learning rate of every group.
void set_learning_rate(torch::optim::Optimizer& optimizer, double lr);

}  // namespace softvit
