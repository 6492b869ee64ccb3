// The full metric set of one evaluated split, from per-image probabilities and labels:
// accuracy (top-1, top-k), per-class precision / recall / F1 / AUC / sensitivity / specificity,
// macro means, balanced accuracy, one-vs-rest ROC AUC, calibration, the confusion matrix and
// bootstrap confidence intervals; for multi-label problems the per-label equivalents. Undefined
// values stay undefined (nullopt, null in JSON) and each is explained in `warnings`.
#pragma once
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "eval/metrics_bootstrap.h"
#include "eval/metrics_calibration.h"
#include "eval/metrics_confusion.h"
#include "eval/metrics_roc.h"
#include "eval/metrics_threshold.h"
#include "eval/score_matrix.h"

namespace softvit {

struct MetricOptions {
  double threshold = 0.5;  // score >= threshold calls a sample positive (per class / label)
  int positive_class = 1;  // binary problems: the class whose probability is the score
  int bootstrap = 1000;    // resamples for the confidence intervals; 0: none
  uint64_t bootstrap_seed = 0;
  int ece_bins = 15;
  // Bootstrapping the AUROC costs resamples x samples x classes steps; above this it is skipped.
  double bootstrap_auc_budget = 2e9;
};

struct ClassReport {
  std::string name;
  ClassScores scores;  // precision, recall, F1, support (single-label only)
  std::optional<double> auc;
  ThresholdScores at_threshold;  // one-vs-rest (or per label) at options.threshold
  std::vector<RocPoint> roc;
};

struct NamedInterval {
  std::string metric;
  std::optional<Interval> interval;
};

struct MetricReport {
  bool multi_label = false;
  int64_t n = 0;
  MetricOptions options;
  // Single-label
  double top1 = 0, top5 = 0;
  int64_t top5_k = 0;
  std::optional<double> balanced_accuracy;
  MacroScores macro;
  ConfusionMatrix confusion;
  Calibration calibration;
  std::optional<ThresholdScores> binary;  // two classes: the positive class at the threshold
  // Multi-label: mean over labels of the fraction of samples called right at the threshold.
  double label_accuracy = 0;
  // Both
  std::optional<double> auroc_macro;   // binary: the positive class's AUC
  std::vector<ClassReport> per_class;  // per label when multi_label
  std::vector<NamedInterval> ci;       // options.bootstrap resamples, 95%
  std::vector<std::string> warnings;
};

// `labels[i]` is the class of sample i; `probabilities` are rows of class probabilities.
// `names` may be empty (the class index is used). Throws Error on inconsistent input.
MetricReport classification_metrics(const ScoreMatrix& probabilities, const std::vector<int64_t>& labels,
                                    const std::vector<std::string>& names, const MetricOptions& options);

// `targets(i, l)` is 1 when sample i has label l; `probabilities` are per-label sigmoids.
MetricReport multilabel_metrics(const ScoreMatrix& probabilities, const ScoreMatrix& targets,
                                const std::vector<std::string>& names, const MetricOptions& options);

// Everything except the ROC points (those go to the plots); undefined values are null.
nlohmann::json to_json(const MetricReport& report);

}  // namespace softvit
