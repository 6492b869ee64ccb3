// Gradient all-reduce that overlaps the backward pass: c10d's Reducer, the engine behind Python's
// DistributedDataParallel. Parameters are grouped into buckets in reverse order (about the order
// in which backward produces their gradients); each bucket is averaged over the ranks as soon as
// its last gradient is ready, and backward() returns only when every bucket is reduced.
#pragma once
#include <torch/torch.h>

#include <memory>

namespace c10d {
class Reducer;
}

namespace softvit::dist {

class Group;

class GradientReducer {
 public:
  // `bucket_mb`: bucket size (the first bucket is 1 MiB, as in DDP, to start communication early).
  GradientReducer(Group& group, torch::nn::Module& model, double bucket_mb, bool find_unused_parameters);
  ~GradientReducer();

  // Call before each forward that a reduced backward follows.
  void before_forward();
  // Call before backward of `loss` when its gradients must be averaged over the ranks (the last
  // micro-step of an accumulation); other backward passes only accumulate locally.
  void before_backward(const torch::Tensor& loss);

 private:
  std::shared_ptr<c10d::Reducer> reducer_;
};

}  // namespace softvit::dist
