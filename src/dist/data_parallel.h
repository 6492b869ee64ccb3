// What the trainer needs for data-parallel training, behind one small interface that is a no-op
// for a single process: the process group (when WORLD_SIZE > 1), this rank's device, model
// synchronisation from rank 0, gradient all-reduce overlapping backward, sums and agreement
// across ranks for logging and stopping, and the gathering of a sharded evaluation.
#pragma once
#include <torch/torch.h>

#include <memory>
#include <string>

#include "core/config/dist_section.h"
#include "data/data_loader.h"
#include "dist/env.h"
#include "eval/evaluate.h"

namespace softvit::dist {

class Group;
class GradientReducer;

class DataParallel {
 public:
  // Reads the environment; with WORLD_SIZE > 1 connects to the other ranks (Group::connect):
  // `configured` cuda becomes cuda:LOCAL_RANK. Ranks other than 0 log warnings and errors only.
  DataParallel(const DistSection& dist, const torch::Device& configured, const std::string& config_yaml);
  DataParallel(const DataParallel&) = delete;
  DataParallel& operator=(const DataParallel&) = delete;
  ~DataParallel();

  bool active() const { return group_ != nullptr; }
  int rank() const { return env_.rank; }
  int world_size() const { return env_.world_size; }
  bool is_main() const { return env_.rank == 0; }  // writes logs, plots and checkpoints
  const torch::Device& device() const { return device_; }
  // CPU threads per process: `configured`, or the cores shared among this machine's ranks.
  int threads(int configured) const;

  // Copies rank 0's parameters and buffers to every rank.
  void sync_model(torch::nn::Module& model);
  // Gives each rank its own stream of torch's random draws (dropout, drop-path) from (seed, rank,
  // step), as timm seeds its ranks; a no-op for one process, whose draws stay exactly resumable.
  void seed_random_draws(uint64_t seed, int64_t step);
  // From now on gradients of `model` are averaged over the ranks (see before_backward).
  void reduce_gradients_of(torch::nn::Module& model);
  // Call before each training forward.
  void before_forward();
  // loss.backward(); with `reduce` (the last micro-step of an accumulation) the gradients are
  // averaged over the ranks while it runs. A failed all-reduce (a rank died) throws TrainError.
  void backward(const torch::Tensor& loss, bool reduce);
  // For a caller that runs backward itself (the step benchmark): arms the all-reduce of the next one.
  void before_backward(const torch::Tensor& loss, bool reduce);

  torch::Tensor sum(const torch::Tensor& value);  // over ranks; `value` itself for one process
  bool any(bool flag);                            // true on every rank when true on one
  void barrier();                                 // returns once every rank has called it
  std::vector<double> all_values(double value);   // every rank's `value`, in rank order
  // This rank's evaluation of its shard -> the whole split's (`dataset_size` samples, less those
  // left out as unreadable), on every rank; `shares`: how the loader split it (its evaluation_shares()).
  EvalResult gather(const EvalResult& local, int64_t dataset_size, int64_t num_classes,
                    const EvaluationShares& shares = {});

 private:
  // Runs `body`; a failed collective in it (an exception from c10d or gloo) becomes a TrainError
  // naming `what`, this rank and the timeout.
  template <typename Body>
  void guarded(const std::string& what, Body body);

  DistEnv env_;
  DistSection options_;
  torch::Device device_;
  std::shared_ptr<Group> group_;
  std::unique_ptr<GradientReducer> reducer_;
};

}  // namespace softvit::dist
