// ROC analysis: the area under the ROC curve and the curve itself, for one binary problem,
// one-vs-rest over the classes of a multi-class problem, or per label of a multi-label one.
//
// The AUC is the Mann-Whitney statistic: the probability that a random positive scores above a
// random negative, a tie counting one half. That equals the trapezoid area under the ROC curve
// through every distinct threshold, which is what sklearn.metrics.roc_auc_score computes. It is
// undefined (nullopt) when the samples hold no positive or no negative: a class absent from the
// split has no AUC, and the macro mean leaves it out.
#pragma once
#include <cstdint>
#include <optional>
#include <vector>

#include "eval/score_matrix.h"

namespace softvit {

struct RocPoint {
  double fpr, tpr;
  double threshold;  // samples scoring >= threshold are called positive; +inf for the (0, 0) point
};

// Scores of one binary problem, sorted once, so that the AUC of each weighted bootstrap resample
// costs O(n) instead of a sort.
class RankedScores {
 public:
  RankedScores(std::vector<float> scores, std::vector<uint8_t> positive);

  // `weights`, one per sample (e.g. bootstrap counts), may be empty: all ones.
  std::optional<double> auc(const std::vector<double>& weights = {}) const;
  // Points from (0, 0) to (1, 1), one per distinct threshold, highest threshold first; points
  // collinear with both neighbours are dropped. Empty when the AUC is undefined.
  std::vector<RocPoint> curve() const;
  double positives() const { return positives_; }
  int64_t size() const { return static_cast<int64_t>(scores_.size()); }

 private:
  std::vector<float> scores_;
  std::vector<uint8_t> positive_;
  std::vector<int64_t> order_;        // sample indices by descending score
  std::vector<int64_t> group_start_;  // start of each run of equal scores in order_, then size
  double positives_ = 0;
};

std::optional<double> roc_auc(const std::vector<float>& scores, const std::vector<uint8_t>& positive);
std::vector<RocPoint> roc_curve(const std::vector<float>& scores, const std::vector<uint8_t>& positive);

// Column c of `scores` against (label == c), for every class.
std::vector<RankedScores> one_vs_rest(const ScoreMatrix& scores, const std::vector<int64_t>& labels);
// Column l of `scores` against (targets(r, l) >= 0.5), for every label.
std::vector<RankedScores> per_label(const ScoreMatrix& scores, const ScoreMatrix& targets);

std::vector<std::optional<double>> aucs(const std::vector<RankedScores>& problems,
                                        const std::vector<double>& weights = {});
// Mean of the defined values; undefined when none is.
std::optional<double> mean_of_defined(const std::vector<std::optional<double>>& values);

}  // namespace softvit
