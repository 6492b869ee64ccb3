#include "train/optimizer.h"

#include "core/error.h"
#include "core/strings.h"
#include "train/fused_adamw.h"

namespace softvit {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

ParameterGroups split_parameter_groups(const torch::nn::Module& model, bool decay_pos_embed) {
  ParameterGroups groups;
  for (const auto& item : model.named_parameters()) {
    const auto& name = item.key();
    const auto& p = item.value();
    if (!p.requires_grad()) continue;
    const bool is_pos_embed = name.find("pos_embed") != std::string::npos;
    const bool is_token = name == "cls_token" || ends_with(name, ".cls_token");
    const bool no_decay =
        p.dim() <= 1 || ends_with(name, ".bias") || is_token || (is_pos_embed && !decay_pos_embed);
    (no_decay ? groups.no_decay : groups.decay).push_back(p);
    (no_decay ? groups.no_decay_names : groups.decay_names).push_back(name);
  }
  return groups;
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const OptimSection& o,
                                                        const torch::nn::Module& model) {
  auto groups = split_parameter_groups(model, o.decay_pos_embed);
  if (o.name == "adamw") {
    auto decay = std::make_unique<torch::optim::AdamWOptions>(o.lr);
    decay->betas({o.betas[0], o.betas[1]}).eps(o.eps).weight_decay(o.weight_decay);
    auto no_decay = std::make_unique<torch::optim::AdamWOptions>(*decay);
    no_decay->weight_decay(0.0);
    std::vector<torch::optim::OptimizerParamGroup> param_groups;
    param_groups.emplace_back(groups.decay, std::move(decay));
    param_groups.emplace_back(groups.no_decay, std::move(no_decay));
    if (o.fused) return std::make_unique<FusedAdamW>(param_groups, torch::optim::AdamWOptions(o.lr));
    return std::make_unique<torch::optim::AdamW>(param_groups, torch::optim::AdamWOptions(o.lr));
  }
  if (o.name == "sgd") {
    auto decay = std::make_unique<torch::optim::SGDOptions>(o.lr);
    decay->momentum(o.betas[0]).nesterov(true).weight_decay(o.weight_decay);
    auto no_decay = std::make_unique<torch::optim::SGDOptions>(*decay);
    no_decay->weight_decay(0.0);
    std::vector<torch::optim::OptimizerParamGroup> param_groups;
    param_groups.emplace_back(groups.decay, std::move(decay));
    param_groups.emplace_back(groups.no_decay, std::move(no_decay));
    return std::make_unique<torch::optim::SGD>(param_groups, torch::optim::SGDOptions(o.lr));
  }
  throw ConfigError(cat("unknown optim.name '", o.name, "' (known: adamw, sgd)"));
}

void set_learning_rate(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

}  // namespace softvit
