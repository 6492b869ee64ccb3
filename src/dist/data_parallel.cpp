#include "dist/data_parallel.h"

#include <c10/core/impl/VirtualGuardImpl.h>

#include <algorithm>
#include <thread>

#include "core/error.h"
#include "core/strings.h"
#include "dist/eval_gather.h"
#include "dist/gradient_reducer.h"
#include "dist/process_group.h"
#include "log/log.h"

namespace softvit::dist {

DataParallel::DataParallel(const DistSection& dist, const torch::Device& configured,
                           const std::string& config_yaml)
    : env_(dist_env()), options_(dist), device_(configured) {
  if (!env_.distributed()) return;
  if (device_.is_cuda()) {
    // One GPU per rank: cuda:LOCAL_RANK, or the only one a scheduler left visible to this rank.
    const auto visible = static_cast<int>(torch::cuda::device_count());
    if (env_.local_rank >= visible && visible != 1)
      throw ConfigError(cat("LOCAL_RANK=", env_.local_rank, " needs a GPU of that index, but ", visible,
                            " CUDA devices are visible to this process"));
    device_ = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(visible == 1 ? 0 : env_.local_rank));
    // NCCL's communicators bind to the current device.
    c10::impl::VirtualGuardImpl(c10::DeviceType::CUDA).setDevice(device_);
  }
  if (!is_main()) log::init_console(log::Level::warn);  // rank 0 speaks for the job
  group_ = Group::connect(env_, device_, dist, config_yaml);
}

DataParallel::~DataParallel() = default;

int DataParallel::threads(int configured) const {
  if (configured > 0) return configured;
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return std::max(1, cores / env_.local_world_size);
}

void DataParallel::sync_model(torch::nn::Module& model) {
  if (!active()) return;
  std::vector<torch::Tensor> tensors;
  for (const auto& p : model.parameters()) tensors.push_back(p);
  for (const auto& b : model.buffers()) tensors.push_back(b);
  group_->broadcast(tensors);
}

void DataParallel::seed_random_draws(uint64_t seed, int64_t step) {
  if (!active()) return;
  const uint64_t mixed = seed * 0x9E3779B97F4A7C15ULL +
                         static_cast<uint64_t>(rank() + 1) * 0xBF58476D1CE4E5B9ULL +
                         static_cast<uint64_t>(step);
  torch::manual_seed(mixed);
}

void DataParallel::reduce_gradients_of(torch::nn::Module& model) {
  if (active())
    reducer_ = std::make_unique<GradientReducer>(*group_, model, options_.bucket_mb,
                                                 options_.find_unused_parameters);
}

template <typename Body>
void DataParallel::guarded(const std::string& what, Body body) {
  const auto failed = [&](const std::string& why) {
    return TrainError(cat("rank ", rank(), ": ", what, " across ", world_size(),
                          " ranks failed (a rank died, or it took longer than dist.timeout_s=",
                          options_.timeout_s, " s): ", why));
  };
  try {
    body();
  } catch (const c10::Error& e) {
    throw failed(e.what_without_backtrace());
  } catch (const TrainError&) {
    throw;
  } catch (const std::exception& e) {  // gloo's own errors
    throw failed(e.what());
  }
}

void DataParallel::before_forward() {
  // After the first reduced step the Reducer re-buckets: a broadcast.
  if (reducer_) guarded("re-bucketing the gradients", [&] { reducer_->before_forward(); });
}

void DataParallel::before_backward(const torch::Tensor& loss, bool reduce) {
  if (reducer_ && reduce) reducer_->before_backward(loss);
}

void DataParallel::backward(const torch::Tensor& loss, bool reduce) {
  before_backward(loss, reduce);
  if (!active() || !reduce) return loss.backward();
  guarded("the gradient all-reduce", [&] { loss.backward(); });
}

torch::Tensor DataParallel::sum(const torch::Tensor& value) { return active() ? group_->sum(value) : value; }

bool DataParallel::any(bool flag) { return active() ? group_->any(flag) : flag; }

void DataParallel::barrier() {
  if (active()) group_->any(false);  // a one-element all-reduce is the barrier
}

std::vector<double> DataParallel::all_values(double value) {
  if (!active()) return {value};
  std::vector<double> values;
  for (const auto& t : group_->all_gather(torch::tensor({value}, torch::kFloat64)))
    values.push_back(t.item<double>());
  return values;
}

EvalResult DataParallel::gather(const EvalResult& local, int64_t dataset_size, int64_t num_classes,
                                const EvaluationShares& shares) {
  return active() ? gather_evaluation(*group_, local, dataset_size, num_classes, shares) : local;
}

}  // namespace softvit::dist
