// A labelled split held in memory as tensors. Fits the small datasets softvit's first slice
// trains on (the MNIST family); streaming sources for large image sets come in data/sources.
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

#include "core/config.h"

namespace softvit {

struct TensorDataset {
  torch::Tensor images;  // uint8, N x C x H x W
  torch::Tensor labels;  // int64, N
  std::vector<std::string> classes;

  int64_t size() const { return labels.size(0); }
  int64_t channels() const { return images.size(1); }
};

// Loads `split` of the dataset the data section describes, keeping the first `limit` samples
// when limit > 0. Throws DataError naming the missing or malformed file.
TensorDataset load_split(const DataSection& data, const std::string& split, int64_t limit = 0);

// Fashion-MNIST's own class names.
const std::vector<std::string>& fashion_mnist_classes();

}  // namespace softvit
