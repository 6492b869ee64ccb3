#include "eval/metrics_confusion.h"

#include "core/error.h"
#include "core/strings.h"

namespace softvit {

double ConfusionMatrix::support(int64_t c) const {
  double sum = 0;
  for (int64_t p = 0; p < classes; ++p) sum += at(c, p);
  return sum;
}

double ConfusionMatrix::predicted(int64_t c) const {
  double sum = 0;
  for (int64_t t = 0; t < classes; ++t) sum += at(t, c);
  return sum;
}

double ConfusionMatrix::total() const {
  double sum = 0;
  for (double v : counts) sum += v;
  return sum;
}

ConfusionMatrix confusion_matrix(const std::vector<int64_t>& labels, const std::vector<int64_t>& predicted,
                                 int64_t classes, const std::vector<double>& weights) {
  if (labels.size() != predicted.size() || (!weights.empty() && weights.size() != labels.size()))
    throw Error(cat("confusion matrix: ", labels.size(), " labels, ", predicted.size(), " predictions, ",
                    weights.size(), " weights"));
  ConfusionMatrix m{classes, std::vector<double>(classes * classes, 0.0)};
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0 || labels[i] >= classes || predicted[i] < 0 || predicted[i] >= classes)
      throw Error(cat("confusion matrix: sample ", i, " has label ", labels[i], " and prediction ",
                      predicted[i], ", outside [0, ", classes, ")"));
    m.counts[labels[i] * classes + predicted[i]] += weights.empty() ? 1.0 : weights[i];
  }
  return m;
}

std::vector<ClassScores> per_class_scores(const ConfusionMatrix& m) {
  std::vector<ClassScores> out(m.classes);
  for (int64_t c = 0; c < m.classes; ++c) {
    const double tp = m.at(c, c), support = m.support(c), predicted = m.predicted(c);
    const double fn = support - tp, fp = predicted - tp;
    ClassScores& s = out[c];
    s.support = support;
    if (predicted > 0) s.precision = tp / predicted;
    if (support > 0) s.recall = tp / support;
    if (2 * tp + fp + fn > 0) s.f1 = 2 * tp / (2 * tp + fp + fn);
  }
  return out;
}

MacroScores macro_scores(const ConfusionMatrix& m) {
  MacroScores macro;
  int64_t counted = 0;
  const std::vector<ClassScores> scores = per_class_scores(m);
  for (int64_t c = 0; c < m.classes; ++c) {
    if (m.support(c) == 0 && m.predicted(c) == 0) continue;  // neither present nor predicted
    const ClassScores& s = scores[c];
    macro.precision += s.precision.value_or(0.0);
    macro.recall += s.recall.value_or(0.0);
    macro.f1 += s.f1.value_or(0.0);
    ++counted;
  }
  if (counted > 0) {
    macro.precision /= counted;
    macro.recall /= counted;
    macro.f1 /= counted;
  }
  return macro;
}

double accuracy(const ConfusionMatrix& m) {
  double correct = 0;
  for (int64_t c = 0; c < m.classes; ++c) correct += m.at(c, c);
  const double total = m.total();
  return total > 0 ? correct / total : 0.0;
}

std::optional<double> balanced_accuracy(const ConfusionMatrix& m) {
  double sum = 0;
  int64_t present = 0;
  for (int64_t c = 0; c < m.classes; ++c) {
    const double support = m.support(c);
    if (support <= 0) continue;
    sum += m.at(c, c) / support;
    ++present;
  }
  if (present == 0) return std::nullopt;
  return sum / present;
}

}  // namespace softvit
