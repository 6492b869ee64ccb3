// Test fixtures of the evaluation tests: a model that sees pixel positions and a loader of fixed
// batches.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "data/batch.h"
#include "models/model.h"

namespace softvit::testing {

// A linear map of the flattened image: it sees where a pixel is, so an image and its mirror image
// give different logits.
struct PositionalModel : Model {
  PositionalModel(int64_t pixels, int64_t classes) : classes_(classes) {
    torch::manual_seed(3);
    weight = register_parameter("weight", torch::randn({pixels, classes}));
  }
  torch::Tensor forward(torch::Tensor images) override { return images.flatten(1).matmul(weight); }
  std::string name() const override { return "positional"; }
  int64_t num_classes() const override { return classes_; }
  torch::Tensor weight;
  int64_t classes_;
};

// Fixed batches; counts the batches it hands out.
struct TensorBatches : BatchSource {
  std::vector<Batch> batches;
  size_t next_index = 0;
  int64_t handed_out = 0;
  void start_epoch(int64_t) override { next_index = 0; }
  std::optional<Batch> next() override {
    if (next_index == batches.size()) return std::nullopt;
    ++handed_out;
    return batches[next_index++];
  }
  int64_t batches_per_epoch() const override { return static_cast<int64_t>(batches.size()); }
};

}  // namespace softvit::testing
