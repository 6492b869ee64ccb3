// The confusion matrix and what follows from it alone: accuracy, per-class precision, recall
// and F1 with their macro means, and balanced accuracy. Conventions are scikit-learn's, so the
// numbers can be checked against it:
//  - precision = tp / (tp + fp), undefined with no predictions of the class;
//  - recall = tp / (tp + fn), undefined for a class absent from the labels;
//  - F1 = 2 tp / (2 tp + fp + fn), undefined only for a class neither present nor predicted;
//  - macro means run over the classes present or predicted, an undefined value counting as 0
//    (precision_recall_fscore_support(average="macro", zero_division=0));
//  - balanced accuracy is the mean recall over the classes present (balanced_accuracy_score).
// Counts are doubles so that bootstrap resamples can weight samples.
#pragma once
#include <cstdint>
#include <optional>
#include <vector>

namespace softvit {

struct ConfusionMatrix {
  int64_t classes = 0;
  std::vector<double> counts;  // classes x classes, rows: true class, columns: predicted class

  double at(int64_t truth, int64_t predicted) const { return counts[truth * classes + predicted]; }
  double support(int64_t c) const;    // row sum: samples of class c
  double predicted(int64_t c) const;  // column sum: predictions of class c
  double total() const;
};

// `weights` (one per sample) may be empty: every sample counts once.
ConfusionMatrix confusion_matrix(const std::vector<int64_t>& labels, const std::vector<int64_t>& predicted,
                                 int64_t classes, const std::vector<double>& weights = {});

struct ClassScores {
  std::optional<double> precision, recall, f1;
  double support = 0;
};

struct MacroScores {
  double precision = 0, recall = 0, f1 = 0;
};

std::vector<ClassScores> per_class_scores(const ConfusionMatrix& m);
MacroScores macro_scores(const ConfusionMatrix& m);
double accuracy(const ConfusionMatrix& m);                          // 0 for an empty matrix
std::optional<double> balanced_accuracy(const ConfusionMatrix& m);  // undefined with no samples

}  // namespace softvit
