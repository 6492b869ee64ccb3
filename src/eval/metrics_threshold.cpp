#include "eval/metrics_threshold.h"

#include "core/error.h"
#include "core/strings.h"

namespace softvit {
namespace {

std::optional<double> ratio(double num, double den) {
  if (den <= 0) return std::nullopt;
  return num / den;
}

}  // namespace

ThresholdScores at_threshold(const std::vector<float>& scores, const std::vector<uint8_t>& positive,
                             double threshold) {
  if (scores.size() != positive.size())
    throw Error(cat("threshold metrics: ", scores.size(), " scores but ", positive.size(), " labels"));
  ThresholdScores s;
  for (size_t i = 0; i < scores.size(); ++i) {
    const bool called = scores[i] >= threshold;
    if (positive[i])
      (called ? s.tp : s.fn) += 1;
    else
      (called ? s.fp : s.tn) += 1;
  }
  s.sensitivity = ratio(s.tp, s.tp + s.fn);
  s.specificity = ratio(s.tn, s.tn + s.fp);
  s.ppv = ratio(s.tp, s.tp + s.fp);
  s.npv = ratio(s.tn, s.tn + s.fn);
  return s;
}

std::vector<ThresholdScores> one_vs_rest_at_threshold(const ScoreMatrix& scores,
                                                      const std::vector<int64_t>& labels, double threshold) {
  check_labels(scores, labels, "threshold metrics");
  std::vector<ThresholdScores> out;
  for (int64_t c = 0; c < scores.cols; ++c) {
    std::vector<uint8_t> positive(labels.size());
    for (size_t i = 0; i < labels.size(); ++i) positive[i] = labels[i] == c;
    out.push_back(at_threshold(scores.column(c), positive, threshold));
  }
  return out;
}

std::vector<ThresholdScores> per_label_at_threshold(const ScoreMatrix& scores, const ScoreMatrix& targets,
                                                    double threshold) {
  if (scores.rows != targets.rows || scores.cols != targets.cols)
    throw Error(cat("threshold metrics: scores are ", scores.rows, " x ", scores.cols, " but targets are ",
                    targets.rows, " x ", targets.cols));
  std::vector<ThresholdScores> out;
  for (int64_t l = 0; l < scores.cols; ++l) {
    std::vector<uint8_t> positive(scores.rows);
    for (int64_t r = 0; r < scores.rows; ++r) positive[r] = targets(r, l) >= 0.5f;
    out.push_back(at_threshold(scores.column(l), positive, threshold));
  }
  return out;
}

}  // namespace softvit
