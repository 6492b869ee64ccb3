#include "eval/metrics_threshold.h"

#include <algorithm>
#include <cmath>

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

OperatingPoint parse_operating_point(const std::string& text) {
  const auto eq = text.find('=');
  OperatingPoint point;
  point.criterion = text.substr(0, eq);
  bool ok = eq != std::string::npos && (point.criterion == "sensitivity" || point.criterion == "specificity");
  if (ok) {
    try {
      size_t used = 0;
      point.target = std::stod(text.substr(eq + 1), &used);
      ok = used == text.size() - eq - 1 && point.target >= 0 && point.target <= 1;
    } catch (const std::exception&) {
      ok = false;
    }
  }
  if (!ok)
    throw ConfigError(
        cat("operating point '", text,
            "' is not sensitivity=X or specificity=X with X in [0, 1] (e.g. sensitivity=0.95)"));
  return point;
}

double threshold_for(const std::vector<float>& scores, const std::vector<uint8_t>& positive,
                     const OperatingPoint& point) {
  if (scores.size() != positive.size())
    throw Error(cat("threshold choice: ", scores.size(), " scores but ", positive.size(), " labels"));
  const bool by_sensitivity = point.criterion == "sensitivity";
  std::vector<float> group;  // the positives' scores (sensitivity) or the negatives' (specificity)
  for (size_t i = 0; i < scores.size(); ++i)
    if (static_cast<bool>(positive[i]) == by_sensitivity) group.push_back(scores[i]);
  if (group.empty())
    throw Error(cat("cannot choose a threshold for ", point.criterion, ": the samples hold no ",
                    by_sensitivity ? "positive" : "negative"));
  // k of the group must fall on the right side: ceil(target x size), tolerant of rounding.
  const auto size = static_cast<double>(group.size());
  const auto k = static_cast<size_t>(std::ceil(point.target * size - 1e-9));
  if (by_sensitivity) {  // the k-th highest positive score: k positives at or above it
    std::sort(group.begin(), group.end(), std::greater<float>());
    return k == 0 ? std::nextafter(*std::max_element(scores.begin(), scores.end()), INFINITY) : group[k - 1];
  }
  std::sort(group.begin(), group.end());  // k negatives strictly below: just above the k-th lowest
  if (k == 0) return *std::min_element(scores.begin(), scores.end());
  const float kth = group[k - 1];
  float above = INFINITY;
  for (float s : scores)
    if (s > kth) above = std::min(above, s);
  return std::isinf(above) ? std::nextafter(kth, INFINITY) : above;
}

}  // namespace softvit
