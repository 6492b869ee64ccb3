// Sensitivity and specificity at a decision threshold: a sample is called positive when its
// score is >= threshold. Binary problems name their positive class; multi-class problems are
// scored one-vs-rest per class on that class's probability; multi-label ones per label.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "eval/score_matrix.h"

namespace softvit {

struct ThresholdScores {
  double tp = 0, fp = 0, tn = 0, fn = 0;
  std::optional<double> sensitivity;  // tp / (tp + fn), recall of the positives
  std::optional<double> specificity;  // tn / (tn + fp), recall of the negatives
  std::optional<double> ppv;          // tp / (tp + fp), precision
  std::optional<double> npv;          // tn / (tn + fn)
};

ThresholdScores at_threshold(const std::vector<float>& scores, const std::vector<uint8_t>& positive,
                             double threshold);

// Column c against (label == c), for every class.
std::vector<ThresholdScores> one_vs_rest_at_threshold(const ScoreMatrix& scores,
                                                      const std::vector<int64_t>& labels, double threshold);
// Column l against (targets(r, l) >= 0.5), for every label.
std::vector<ThresholdScores> per_label_at_threshold(const ScoreMatrix& scores, const ScoreMatrix& targets,
                                                    double threshold);

// An operating point: "sensitivity" or "specificity" at least `target` (in [0, 1]).
struct OperatingPoint {
  std::string criterion;
  double target = 0;
};

// "sensitivity=0.95" or "specificity=0.9"; anything else throws ConfigError naming the text.
OperatingPoint parse_operating_point(const std::string& text);

// The decision threshold meeting `point` on these scores (score >= threshold: positive): for a
// sensitivity the highest such threshold (the most specific one), for a specificity the lowest
// (the most sensitive). Thresholds are sample scores, as on the ROC curve; a specificity that needs
// every negative below it takes the score just above the highest negative. Throws Error when the
// samples hold no positive (sensitivity) or no negative (specificity).
double threshold_for(const std::vector<float>& scores, const std::vector<uint8_t>& positive,
                     const OperatingPoint& point);

}  // namespace softvit
