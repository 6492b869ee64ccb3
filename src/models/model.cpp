#include "models/model.h"

#include "core/error.h"
#include "core/strings.h"

namespace softvit {

int64_t count_parameters(const torch::nn::Module& module) {
  int64_t total = 0;
  for (const auto& p : module.parameters()) total += p.numel();
  return total;
}

TokenMapForward Model::forward_token_map(torch::Tensor) {
  throw Error(cat("model '", name(), "' offers no token map to explain (Grad-CAM)"));
}

AttentionMaps Model::attention_probabilities(torch::Tensor) {
  throw Error(cat("model '", name(), "' has no softmax attention maps for attention rollout"));
}

AttentionOperatorForward Model::forward_attention_operators(torch::Tensor) {
  throw Error(cat("model '", name(), "' has no explicit attention operators for gradient-weighted rollout"));
}

}  // namespace softvit
