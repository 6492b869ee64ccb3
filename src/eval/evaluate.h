// Classification metrics over a whole split: loss, top-1, top-5, confusion matrix.
#pragma once
#include <torch/torch.h>

#include "data/batch.h"
#include "models/model.h"

namespace softvit {

struct EvalResult {
  int64_t n = 0;
  double loss = 0;   // mean cross-entropy, no label smoothing
  double top1 = 0;   // fraction in [0, 1]
  double top5 = 0;   // fraction correct among the top top5_k guesses
  int64_t top5_k = 5;  // min(5, classes)
  torch::Tensor confusion;  // int64, classes x classes, rows true, columns predicted
  double seconds = 0;
};

// Runs `model` in eval mode over every batch of `loader` (which should not shuffle).
EvalResult evaluate(Model& model, BatchSource& loader, const torch::Device& device);

// Accumulates one batch of logits into running sums; exposed for tests.
struct EvalAccumulator {
  explicit EvalAccumulator(int64_t num_classes);
  void add(const torch::Tensor& logits, const torch::Tensor& labels);
  EvalResult result() const;

  int64_t num_classes;
  int64_t n = 0;
  double loss_sum = 0;
  int64_t correct1 = 0, correct5 = 0;
  torch::Tensor confusion;
};

}  // namespace softvit
