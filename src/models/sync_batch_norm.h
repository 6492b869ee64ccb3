// BatchNorm2d whose training statistics can span processes (PyTorch's SyncBatchNorm): with a
// reducer set, each training forward sums (sum x, sum x^2, count) per channel over every process
// before normalising, and the backward sums the statistics' gradients the same way, so N processes
// with batch B normalise and differentiate exactly as one process with batch N x B. Without a
// reducer, or in eval mode, it is torch::nn::BatchNorm2d (same parameters, buffers and names).
#pragma once
#include <torch/torch.h>

#include <functional>

namespace softvit {

// Sums a tensor over every process (an all-reduce); called in the same order on every process.
using SumOverProcesses = std::function<torch::Tensor(const torch::Tensor&)>;

class SyncBatchNorm2dImpl : public torch::nn::BatchNorm2dImpl {
 public:
  using torch::nn::BatchNorm2dImpl::BatchNorm2dImpl;
  torch::Tensor forward(const torch::Tensor& input);
  SumOverProcesses sum_over_processes;  // empty: per-process statistics
};
TORCH_MODULE(SyncBatchNorm2d);

// Sets `sum` on every SyncBatchNorm2d in `model`; returns how many there are.
int64_t sync_batch_norms(torch::nn::Module& model, const SumOverProcesses& sum);

}  // namespace softvit
