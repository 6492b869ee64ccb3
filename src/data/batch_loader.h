// Batches from an in-memory TensorDataset: a seeded shuffle per epoch, light augmentation on the
// uint8 pixels (pad-and-crop, horizontal flip), then float conversion and normalisation.
#pragma once
#include <torch/torch.h>

#include <optional>

#include "data/batch.h"
#include "data/dataset.h"

namespace softvit {

struct LoaderOptions {
  int64_t batch_size = 128;
  bool shuffle = false;
  bool drop_last = false;
  uint64_t seed = 0;
  int64_t pad_crop = 0;  // 0: off
  double hflip = 0.0;    // probability
  std::vector<double> mean = {0.0};
  std::vector<double> std = {1.0};
};

class BatchLoader : public BatchSource {
 public:
  BatchLoader(const TensorDataset& dataset, LoaderOptions options);

  // Restarts at the first batch of `epoch`; the order depends only on (seed, epoch).
  void start_epoch(int64_t epoch) override;
  std::optional<Batch> next() override;
  int64_t batches_per_epoch() const override;

 private:
  torch::Tensor augment(torch::Tensor images, torch::Generator& generator) const;

  const TensorDataset& dataset_;
  LoaderOptions options_;
  torch::Tensor order_;
  torch::Generator generator_;
  int64_t position_ = 0;
  torch::Tensor mean_, std_;
};

}  // namespace softvit
