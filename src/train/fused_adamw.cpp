#include "train/fused_adamw.h"

namespace softvit {
namespace {

torch::Tensor in_layout_of(const torch::Tensor& param, const torch::Tensor& values) {
  return torch::empty_like(param, torch::MemoryFormat::Preserve).copy_(values);
}

}  // namespace

FusedAdamW::GroupTensors FusedAdamW::collect(torch::optim::OptimizerParamGroup& group, bool count_on_host) {
  const auto& options = static_cast<const torch::optim::AdamWOptions&>(group.options());
  TORCH_CHECK(!options.amsgrad(), "FusedAdamW does not implement amsgrad");
  GroupTensors t;
  for (auto& p : group.params()) {
    if (!p.grad().defined()) continue;
    void* key = p.unsafeGetTensorImpl();
    auto found = state_.find(key);
    if (found == state_.end()) {
      auto state = std::make_unique<torch::optim::AdamWParamState>();
      state->exp_avg(torch::zeros_like(p, torch::MemoryFormat::Preserve));
      state->exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Preserve));
      found = state_.emplace(key, std::move(state)).first;
    }
    auto& state = static_cast<torch::optim::AdamWParamState&>(*found->second);
    // The kernel wants the moments in the parameter's layout; state loaded from a checkpoint of a
    // run without channels-last (or made before the conversion) may differ.
    if (state.exp_avg().strides() != p.strides()) state.exp_avg(in_layout_of(p, state.exp_avg()));
    if (state.exp_avg_sq().strides() != p.strides()) state.exp_avg_sq(in_layout_of(p, state.exp_avg_sq()));
    auto& counter = steps_[key];
    if (counter.value != state.step())  // new, or state loaded from a checkpoint
      counter.tensor = torch::full({}, static_cast<double>(state.step()), p.options().dtype(torch::kFloat32));
    if (count_on_host) state.step(state.step() + 1);
    counter.value = state.step();
    t.params.push_back(p);
    t.grads.push_back(p.grad());
    t.exp_avgs.push_back(state.exp_avg());
    t.exp_avg_sqs.push_back(state.exp_avg_sq());
    t.steps.push_back(counter.tensor);
  }
  return t;
}

torch::Tensor FusedAdamW::step(LossClosure closure) {
  torch::NoGradGuard no_grad;
  torch::Tensor loss;
  if (closure) {
    at::AutoGradMode enable_grad(true);
    loss = closure();
  }
  for (auto& group : param_groups_) {
    auto t = collect(group, /*count_on_host=*/true);
    if (t.params.empty()) continue;
    torch::_foreach_add_(t.steps, 1.0);
    const auto& options = static_cast<const torch::optim::AdamWOptions&>(group.options());
    const auto [beta1, beta2] = options.betas();
    at::_fused_adamw_(t.params, t.grads, t.exp_avgs, t.exp_avg_sqs, /*max_exp_avg_sqs=*/{}, t.steps,
                      options.lr(), beta1, beta2, options.weight_decay(), options.eps(), /*amsgrad=*/false,
                      /*maximize=*/false);
  }
  return loss;
}

void FusedAdamW::step_with_lr_tensors(const std::vector<torch::Tensor>& group_lr, bool count_on_host) {
  TORCH_CHECK(group_lr.size() == param_groups_.size(), "FusedAdamW: ", group_lr.size(),
              " learning rates for ", param_groups_.size(), " parameter groups");
  torch::NoGradGuard no_grad;
  for (size_t g = 0; g < param_groups_.size(); ++g) {
    auto t = collect(param_groups_[g], count_on_host);
    if (t.params.empty()) continue;
    torch::_foreach_add_(t.steps, 1.0);
    const auto& options = static_cast<const torch::optim::AdamWOptions&>(param_groups_[g].options());
    const auto [beta1, beta2] = options.betas();
    at::_fused_adamw_(t.params, t.grads, t.exp_avgs, t.exp_avg_sqs, /*max_exp_avg_sqs=*/{}, t.steps,
                      group_lr[g], beta1, beta2, options.weight_decay(), options.eps(), /*amsgrad=*/false,
                      /*maximize=*/false);
  }
}

void FusedAdamW::count_replayed_step() {
  for (auto& [key, counter] : steps_) {
    auto found = state_.find(key);
    if (found == state_.end()) continue;
    auto& state = static_cast<torch::optim::AdamWParamState&>(*found->second);
    state.step(state.step() + 1);
    counter.value = state.step();
  }
}

void FusedAdamW::reset_step_counters() {
  torch::NoGradGuard no_grad;
  for (auto& [key, counter] : steps_) {
    auto found = state_.find(key);
    if (found == state_.end() || !counter.tensor.defined()) continue;
    const auto step = static_cast<torch::optim::AdamWParamState&>(*found->second).step();
    counter.tensor.fill_(static_cast<double>(step));  // in place: a captured graph keeps its pointer
    counter.value = step;
  }
}

}  // namespace softvit
