// A batch as the trainer and evaluator consume it, and the interface of anything that yields
// batches epoch by epoch.
#pragma once
#include <torch/torch.h>

#include <optional>
#include <string>
#include <vector>

namespace softvit {

struct Batch {
  torch::Tensor images;   // float32, B x C x H x W, normalised
  torch::Tensor labels;   // int64, B (class indices) or B x classes (0/1, multi-label)
  torch::Tensor targets;  // float32, B x classes soft targets when mixup/cutmix is on; undefined otherwise
  std::vector<std::string> names;  // each image's identifier (file path, shard:key, file.npz:split[i])
};

class BatchSource {
 public:
  virtual ~BatchSource() = default;
  // Restarts at the first batch of `epoch`; what it yields depends only on (seed, epoch). A second
  // call for the epoch in progress before any next() changes nothing, so a trainer can start the
  // next epoch early and have its first batches built while it validates.
  virtual void start_epoch(int64_t epoch) = 0;
  virtual std::optional<Batch> next() = 0;
  virtual int64_t batches_per_epoch() const = 0;
};

}  // namespace softvit
