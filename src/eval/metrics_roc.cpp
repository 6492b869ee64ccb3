#include "eval/metrics_roc.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/error.h"
#include "core/strings.h"

namespace softvit {

RankedScores::RankedScores(std::vector<float> scores, std::vector<uint8_t> positive)
    : scores_(std::move(scores)), positive_(std::move(positive)) {
  if (scores_.size() != positive_.size())
    throw Error(cat("ROC: ", scores_.size(), " scores but ", positive_.size(), " labels"));
  for (size_t i = 0; i < scores_.size(); ++i)  // NaN would break the sort's ordering
    if (std::isnan(scores_[i])) throw Error(cat("ROC: the score of sample ", i, " is NaN"));
  order_.resize(scores_.size());
  std::iota(order_.begin(), order_.end(), 0);
  std::stable_sort(order_.begin(), order_.end(),
                   [&](int64_t a, int64_t b) { return scores_[a] > scores_[b]; });
  for (size_t i = 0; i < order_.size(); ++i)
    if (i == 0 || scores_[order_[i]] != scores_[order_[i - 1]])
      group_start_.push_back(static_cast<int64_t>(i));
  group_start_.push_back(static_cast<int64_t>(order_.size()));
  for (uint8_t p : positive_) positives_ += p != 0;
}

std::optional<double> RankedScores::auc(const std::vector<double>& weights) const {
  if (!weights.empty() && weights.size() != scores_.size())
    throw Error(cat("ROC: ", weights.size(), " weights for ", scores_.size(), " samples"));
  // Walking down the thresholds: every positive above a negative wins that pair, and every
  // positive at the negative's own score wins half of it.
  double positives_above = 0, negatives = 0, pairs_won = 0;
  for (size_t g = 0; g + 1 < group_start_.size(); ++g) {
    double group_pos = 0, group_neg = 0;
    for (int64_t i = group_start_[g]; i < group_start_[g + 1]; ++i) {
      const int64_t s = order_[i];
      const double w = weights.empty() ? 1.0 : weights[s];
      (positive_[s] ? group_pos : group_neg) += w;
    }
    pairs_won += group_neg * (positives_above + 0.5 * group_pos);
    positives_above += group_pos;
    negatives += group_neg;
  }
  if (positives_above <= 0 || negatives <= 0) return std::nullopt;
  return pairs_won / (positives_above * negatives);
}

std::vector<RocPoint> RankedScores::curve() const {
  const double negatives = static_cast<double>(scores_.size()) - positives_;
  if (positives_ <= 0 || negatives <= 0) return {};
  std::vector<double> tp{0}, fp{0};
  std::vector<double> thresholds{std::numeric_limits<double>::infinity()};
  for (size_t g = 0; g + 1 < group_start_.size(); ++g) {
    double t = tp.back(), f = fp.back();
    for (int64_t i = group_start_[g]; i < group_start_[g + 1]; ++i) (positive_[order_[i]] ? t : f) += 1;
    tp.push_back(t);
    fp.push_back(f);
    thresholds.push_back(scores_[order_[group_start_[g]]]);
  }
  std::vector<RocPoint> points;
  for (size_t i = 0; i < tp.size(); ++i) {
    const bool inner = i > 0 && i + 1 < tp.size();
    // Collinear with both neighbours: the cross product of the two steps is zero.
    if (inner && (fp[i] - fp[i - 1]) * (tp[i + 1] - tp[i]) == (tp[i] - tp[i - 1]) * (fp[i + 1] - fp[i]))
      continue;
    points.push_back({fp[i] / negatives, tp[i] / positives_, thresholds[i]});
  }
  return points;
}

std::optional<double> roc_auc(const std::vector<float>& scores, const std::vector<uint8_t>& positive) {
  return RankedScores(scores, positive).auc();
}

std::vector<RocPoint> roc_curve(const std::vector<float>& scores, const std::vector<uint8_t>& positive) {
  return RankedScores(scores, positive).curve();
}

std::vector<RankedScores> one_vs_rest(const ScoreMatrix& scores, const std::vector<int64_t>& labels) {
  check_labels(scores, labels, "one-vs-rest ROC");
  std::vector<RankedScores> out;
  out.reserve(scores.cols);
  for (int64_t c = 0; c < scores.cols; ++c) {
    std::vector<uint8_t> positive(labels.size());
    for (size_t i = 0; i < labels.size(); ++i) positive[i] = labels[i] == c;
    out.emplace_back(scores.column(c), std::move(positive));
  }
  return out;
}

std::vector<RankedScores> per_label(const ScoreMatrix& scores, const ScoreMatrix& targets) {
  if (scores.rows != targets.rows || scores.cols != targets.cols)
    throw Error(cat("multi-label ROC: scores are ", scores.rows, " x ", scores.cols, " but targets are ",
                    targets.rows, " x ", targets.cols));
  std::vector<RankedScores> out;
  out.reserve(scores.cols);
  for (int64_t l = 0; l < scores.cols; ++l) {
    std::vector<uint8_t> positive(scores.rows);
    for (int64_t r = 0; r < scores.rows; ++r) positive[r] = targets(r, l) >= 0.5f;
    out.emplace_back(scores.column(l), std::move(positive));
  }
  return out;
}

std::vector<std::optional<double>> aucs(const std::vector<RankedScores>& problems,
                                        const std::vector<double>& weights) {
  std::vector<std::optional<double>> out;
  out.reserve(problems.size());
  for (const auto& p : problems) out.push_back(p.auc(weights));
  return out;
}

std::optional<double> mean_of_defined(const std::vector<std::optional<double>>& values) {
  double sum = 0;
  int64_t count = 0;
  for (const auto& v : values)
    if (v) {
      sum += *v;
      ++count;
    }
  if (count == 0) return std::nullopt;
  return sum / count;
}

}  // namespace softvit
