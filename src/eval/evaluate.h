// Evaluation of a model over a whole split. Keeps every image's probabilities and labels
// (memory n x classes floats), from which it reports loss, top-1, top-5 and the confusion
// matrix, and, when asked, the full metric set of eval/metrics.h.
#pragma once
#include <torch/torch.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "data/batch.h"
#include "eval/metrics.h"
#include "eval/metrics_confusion.h"
#include "eval/score_matrix.h"
#include "eval/test_time_augmentation.h"
#include "models/model.h"

namespace softvit {

struct EvalOptions {
  bool full_metrics = false;  // also AUC, calibration, bootstrap intervals, ... (EvalResult::metrics)
  MetricOptions metrics;
  std::vector<std::string> class_names;                   // empty: class indices
  TestTimeAugmentation tta = TestTimeAugmentation::none;  // evaluate(): views averaged per image
  std::function<void(int64_t images)> on_batch;           // evaluate(): after each batch, if set
};

struct EvalResult {
  int64_t n = 0;
  double loss = 0;     // mean cross-entropy, no label smoothing (multi-label: mean binary CE per label)
  double top1 = 0;     // fraction in [0, 1]; multi-label: labels right at the threshold
  double top5 = 0;     // fraction correct among the top top5_k guesses
  int64_t top5_k = 5;  // min(5, classes)
  bool multi_label = false;
  ScoreMatrix probabilities;            // n x classes: softmax; multi-label: per-label sigmoid
  std::vector<int64_t> labels;          // single-label: the class of each image
  ScoreMatrix targets;                  // multi-label: n x labels, 1 where the image has the label
  ConfusionMatrix confusion;            // single-label: rows true, columns predicted (argmax)
  std::optional<MetricReport> metrics;  // with EvalOptions::full_metrics
  double seconds = 0;
  std::vector<std::string> names;  // each scored image's identifier (Batch::names), when the loader gave them
  std::vector<std::pair<int64_t, int64_t>> input_sizes;  // evaluate(): each distinct H x W fed to the model
};

// Macro one-vs-rest ROC AUC of the split (binary: the positive class's AUC; multi-label: the mean
// per-label AUC), from the kept probabilities; undefined when no class has both outcomes.
std::optional<double> macro_auroc(const EvalResult& result);

// Runs `model` in eval mode over every batch of `loader` (which should not shuffle).
EvalResult evaluate(Model& model, BatchSource& loader, const torch::Device& device,
                    const EvalOptions& options = {});

// Several models over one pass of `loader`, so each image is read and decoded once: a result per
// model, in order (the trainer scores the weights and their EMA this way).
std::vector<EvalResult> evaluate(const std::vector<Model*>& models, BatchSource& loader,
                                 const torch::Device& device, const EvalOptions& options = {});

// Accumulates batches of logits; exposed for tests. Labels are int64 class indices (B) or, for a
// multi-label problem, B x classes of 0/1 (any numeric type); every batch must be of one kind.
struct EvalAccumulator {
  explicit EvalAccumulator(int64_t num_classes);
  // `names`: the rows' identifiers, or empty (then the result has none).
  void add(const torch::Tensor& logits, const torch::Tensor& labels,
           const std::vector<std::string>& names = {});
  EvalResult result(const EvalOptions& options = {}) const;

  int64_t num_classes;
  int64_t n = 0;
  double loss_sum = 0;
  std::optional<bool> multi_label;  // set by the first batch
  std::vector<float> probabilities, targets;
  std::vector<int64_t> labels;
  std::vector<std::string> names;
  bool every_row_named = true;
};

}  // namespace softvit
