// ROC AUC and curves against hand-computed cases and a naive all-pairs reference.
#include <random>

#include "catch.h"
#include "eval/metrics_roc.h"

using namespace softvit;

namespace {

// The definition itself: over every (positive, negative) pair, 1 if the positive scores higher,
// 1/2 on a tie.
double naive_auc(const std::vector<float>& scores, const std::vector<uint8_t>& positive) {
  double won = 0, pairs = 0;
  for (size_t i = 0; i < scores.size(); ++i)
    for (size_t j = 0; j < scores.size(); ++j)
      if (positive[i] && !positive[j]) {
        won += scores[i] > scores[j] ? 1.0 : scores[i] == scores[j] ? 0.5 : 0.0;
        pairs += 1;
      }
  return won / pairs;
}

double trapezoid(const std::vector<RocPoint>& points) {
  double area = 0;
  for (size_t i = 1; i < points.size(); ++i)
    area += (points[i].fpr - points[i - 1].fpr) * (points[i].tpr + points[i - 1].tpr) / 2;
  return area;
}

}  // namespace

TEST_CASE("roc: AUC with tied scores counts a tie as one half", "[eval][metrics]") {
  // Positives 0.8 0.6 0.6, negatives 0.6 0.4 0.8. Pairs won by the positive:
  //   0.8: beats 0.6 and 0.4, ties 0.8 -> 2.5;  each 0.6: ties 0.6, beats 0.4 -> 1.5.
  // AUC = (2.5 + 1.5 + 1.5) / 9.
  const std::vector<float> scores = {0.8f, 0.6f, 0.6f, 0.6f, 0.4f, 0.8f};
  const std::vector<uint8_t> positive = {1, 1, 1, 0, 0, 0};
  REQUIRE(roc_auc(scores, positive).has_value());
  CHECK(*roc_auc(scores, positive) == Approx(5.5 / 9));

  // The curve through the three distinct thresholds, and its trapezoid area.
  const auto curve = roc_curve(scores, positive);
  REQUIRE(curve.size() == 4);
  CHECK(curve[0].fpr == 0);
  CHECK(curve[0].tpr == 0);
  CHECK(curve[1].fpr == Approx(1.0 / 3));  // >= 0.8: one positive, one negative
  CHECK(curve[1].tpr == Approx(1.0 / 3));
  CHECK(curve[1].threshold == Approx(0.8));
  CHECK(curve[2].fpr == Approx(2.0 / 3));  // >= 0.6: all positives, two negatives
  CHECK(curve[2].tpr == Approx(1.0));
  CHECK(curve[3].fpr == Approx(1.0));
  CHECK(curve[3].tpr == Approx(1.0));
  CHECK(trapezoid(curve) == Approx(5.5 / 9));
}

TEST_CASE("roc: AUC matches the all-pairs definition on random scores with many ties", "[eval][metrics]") {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> level(0, 9);
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<float> scores(60);
    std::vector<uint8_t> positive(60);
    for (size_t i = 0; i < scores.size(); ++i) {
      positive[i] = level(rng) < 4;
      scores[i] = static_cast<float>(level(rng) + 3 * positive[i]) / 12.0f;  // 13 levels: many ties
    }
    positive[0] = 1;
    positive[1] = 0;
    const double expected = naive_auc(scores, positive);
    CHECK(*roc_auc(scores, positive) == Approx(expected).margin(1e-12));
    CHECK(trapezoid(roc_curve(scores, positive)) == Approx(expected).margin(1e-12));
  }
}

TEST_CASE("roc: perfect and inverted and constant scorers", "[eval][metrics]") {
  const std::vector<uint8_t> positive = {0, 0, 1, 1, 0, 1};
  CHECK(*roc_auc({0.1f, 0.2f, 0.7f, 0.9f, 0.3f, 0.8f}, positive) == 1.0);
  CHECK(*roc_auc({0.9f, 0.8f, 0.2f, 0.1f, 0.7f, 0.3f}, positive) == 0.0);
  CHECK(*roc_auc({0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f}, positive) == 0.5);
  const auto perfect = roc_curve({0.1f, 0.2f, 0.7f, 0.9f, 0.3f, 0.8f}, positive);
  // (0,0) -> (0,1) -> (1,1): the collinear points in between are dropped.
  REQUIRE(perfect.size() == 3);
  CHECK(perfect[1].fpr == 0);
  CHECK(perfect[1].tpr == 1);
}

TEST_CASE("roc: AUC is undefined without positives or without negatives", "[eval][metrics]") {
  CHECK_FALSE(roc_auc({0.1f, 0.9f}, {0, 0}).has_value());
  CHECK_FALSE(roc_auc({0.1f, 0.9f}, {1, 1}).has_value());
  CHECK(roc_curve({0.1f, 0.9f}, {1, 1}).empty());
  CHECK_THROWS(roc_auc({0.1f, std::nanf("")}, {1, 0}));
}

TEST_CASE("roc: weighted AUC equals the AUC of the samples repeated by their weights", "[eval][metrics]") {
  const std::vector<float> scores = {0.9f, 0.4f, 0.4f, 0.7f, 0.2f, 0.4f, 0.6f};
  const std::vector<uint8_t> positive = {1, 0, 1, 0, 0, 1, 1};
  const std::vector<double> weights = {2, 0, 3, 1, 1, 0, 2};
  std::vector<float> repeated_scores;
  std::vector<uint8_t> repeated_positive;
  for (size_t i = 0; i < scores.size(); ++i)
    for (int k = 0; k < weights[i]; ++k) {
      repeated_scores.push_back(scores[i]);
      repeated_positive.push_back(positive[i]);
    }
  const RankedScores ranked(scores, positive);
  CHECK(*ranked.auc(weights) == Approx(naive_auc(repeated_scores, repeated_positive)));
  CHECK(*ranked.auc() == Approx(naive_auc(scores, positive)));
}

TEST_CASE("roc: one-vs-rest leaves a class absent from the split out of the macro mean", "[eval][metrics]") {
  // Three classes; class 2 never occurs. Class 0 vs rest on column 0: positives 0.7 0.5,
  // negatives 0.2 0.5 -> (1 + 1 + 1 + 0.5) / 4. Class 1 vs rest on column 1: positives 0.6 0.3,
  // negatives 0.2 0.4 -> (1 + 1 + 1 + 0) / 4.
  const ScoreMatrix p =
      ScoreMatrix::from_rows({{0.7, 0.2, 0.1}, {0.5, 0.4, 0.1}, {0.2, 0.6, 0.2}, {0.5, 0.3, 0.2}});
  const std::vector<int64_t> labels = {0, 0, 1, 1};
  const auto per_class = aucs(one_vs_rest(p, labels));
  REQUIRE(per_class.size() == 3);
  CHECK(*per_class[0] == Approx(3.5 / 4));
  CHECK(*per_class[1] == Approx(3.0 / 4));
  CHECK_FALSE(per_class[2].has_value());
  CHECK(*mean_of_defined(per_class) == Approx((3.5 / 4 + 3.0 / 4) / 2));
  CHECK_FALSE(mean_of_defined({std::nullopt, std::nullopt}).has_value());
}

TEST_CASE("roc: multi-label AUC per label against 0/1 targets", "[eval][metrics]") {
  // Label 0: positives 0.9 0.3, negatives 0.4 0.1 -> 3/4. Label 1: positives 0.8 0.7 0.6,
  // negative 0.7 -> (1 + 0.5 + 0) / 3. Label 2: no positive -> undefined.
  const ScoreMatrix scores =
      ScoreMatrix::from_rows({{0.9, 0.8, 0.1}, {0.4, 0.7, 0.2}, {0.3, 0.7, 0.3}, {0.1, 0.6, 0.4}});
  const ScoreMatrix targets = ScoreMatrix::from_rows({{1, 1, 0}, {0, 0, 0}, {1, 1, 0}, {0, 1, 0}});
  const auto per = aucs(per_label(scores, targets));
  CHECK(*per[0] == Approx(0.75));
  CHECK(*per[1] == Approx(1.5 / 3));
  CHECK_FALSE(per[2].has_value());
  CHECK_THROWS(per_label(scores, ScoreMatrix(4, 2)));
}
