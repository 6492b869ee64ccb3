#include "dist/gradient_reducer.h"

#include <torch/csrc/distributed/c10d/reducer.hpp>

#include "core/error.h"
#include "core/strings.h"
#include "dist/process_group.h"

namespace softvit::dist {

GradientReducer::GradientReducer(Group& group, torch::nn::Module& model, double bucket_mb,
                                 bool find_unused_parameters) {
  std::vector<torch::Tensor> params;
  std::unordered_map<size_t, std::string> names;
  for (const auto& p : model.named_parameters()) {
    if (!p.value().requires_grad()) continue;
    names[params.size()] = p.key();
    params.push_back(p.value());
  }
  if (params.empty()) throw TrainError("data-parallel training: the model has no trainable parameters");
  const auto cap = static_cast<size_t>(bucket_mb * 1024 * 1024);
  const size_t first_cap = std::min<size_t>(cap, 1024 * 1024);
  std::vector<int64_t> reverse_order(params.size());
  for (size_t i = 0; i < params.size(); ++i) reverse_order[i] = static_cast<int64_t>(params.size() - 1 - i);
  const std::vector<bool> dense(params.size(), false);
  auto buckets =
      std::get<0>(c10d::compute_bucket_assignment_by_size(params, {first_cap, cap}, dense, reverse_order));
  reducer_ = std::make_shared<c10d::Reducer>(params, std::move(buckets), group.process_group(), dense,
                                             static_cast<int64_t>(cap), find_unused_parameters,
                                             /*gradient_as_bucket_view=*/false, std::move(names),
                                             static_cast<int64_t>(first_cap),
                                             /*skip_all_reduce_unused_params=*/false,
                                             /*use_python_reducer=*/false, std::vector<int64_t>{});
}

GradientReducer::~GradientReducer() = default;

void GradientReducer::before_forward() {
  // After the first reduced step the Reducer re-buckets in the order gradients actually arrived
  // (a collective, taken at the same step on every rank); later calls return at once.
  reducer_->rebuild_buckets();
  reducer_->prepare_for_forward();
}

void GradientReducer::before_backward(const torch::Tensor& loss) { reducer_->prepare_for_backward({loss}); }

}  // namespace softvit::dist
