// Sensitivity and specificity at a threshold, by hand.
#include "catch.h"
#include "eval/metrics_threshold.h"

using namespace softvit;

TEST_CASE("threshold: sensitivity and specificity of a binary scorer by hand", "[eval][metrics]") {
  // Positives score 0.9 0.5 0.3; negatives 0.6 0.2 0.1 0.5. At 0.5 (>= calls positive):
  // tp 2 (0.9, 0.5), fn 1; fp 2 (0.6, 0.5), tn 2.
  const std::vector<float> scores = {0.9f, 0.5f, 0.3f, 0.6f, 0.2f, 0.1f, 0.5f};
  const std::vector<uint8_t> positive = {1, 1, 1, 0, 0, 0, 0};
  const ThresholdScores s = at_threshold(scores, positive, 0.5);
  CHECK(s.tp == 2);
  CHECK(s.fn == 1);
  CHECK(s.fp == 2);
  CHECK(s.tn == 2);
  CHECK(*s.sensitivity == Approx(2.0 / 3));
  CHECK(*s.specificity == Approx(0.5));
  CHECK(*s.ppv == Approx(0.5));
  CHECK(*s.npv == Approx(2.0 / 3));
  // A higher threshold trades sensitivity for specificity.
  const ThresholdScores strict = at_threshold(scores, positive, 0.7);
  CHECK(*strict.sensitivity == Approx(1.0 / 3));
  CHECK(*strict.specificity == Approx(1.0));
  // Nothing called positive: PPV undefined. No negatives: specificity undefined.
  CHECK_FALSE(at_threshold(scores, positive, 0.95).ppv.has_value());
  CHECK_FALSE(at_threshold({0.4f}, {1}, 0.5).specificity.has_value());
}

TEST_CASE("threshold: binary with either positive class and multi-class one-vs-rest", "[eval][metrics]") {
  // Two-class probabilities; with class 0 as the positive one its column is the score.
  const ScoreMatrix p = ScoreMatrix::from_rows({{0.8, 0.2}, {0.3, 0.7}, {0.6, 0.4}, {0.1, 0.9}});
  const std::vector<int64_t> labels = {0, 0, 1, 1};
  const auto per_class = one_vs_rest_at_threshold(p, labels, 0.5);
  // Class 1 positive: samples 2 3 are positive, called at p1 >= 0.5: samples 1 and 3.
  CHECK(*per_class[1].sensitivity == Approx(0.5));
  CHECK(*per_class[1].specificity == Approx(0.5));
  // Class 0 positive: samples 0 1, called at p0 >= 0.5: samples 0 and 2.
  CHECK(per_class[0].tp == 1);
  CHECK(per_class[0].fp == 1);

  // Three classes: class 2 vs rest at 0.4 on column 2.
  const ScoreMatrix q =
      ScoreMatrix::from_rows({{0.1, 0.1, 0.8}, {0.5, 0.1, 0.4}, {0.3, 0.4, 0.3}, {0.2, 0.2, 0.6}});
  const auto ovr = one_vs_rest_at_threshold(q, {2, 0, 2, 1}, 0.4);
  CHECK(ovr[2].tp == 1);  // sample 0
  CHECK(ovr[2].fn == 1);  // sample 2 (0.3)
  CHECK(ovr[2].fp == 2);  // samples 1 (0.4, on the threshold) and 3
  CHECK(ovr[2].tn == 0);
  CHECK(*ovr[2].specificity == 0);
}

TEST_CASE("threshold: chosen for a sensitivity or a specificity on the samples given", "[eval][threshold]") {
  // Positives score 0.9 0.8 0.6 0.3; negatives 0.7 0.4 0.2 0.1 0.05.
  const std::vector<float> scores = {0.9f, 0.8f, 0.6f, 0.3f, 0.7f, 0.4f, 0.2f, 0.1f, 0.05f};
  const std::vector<uint8_t> positive = {1, 1, 1, 1, 0, 0, 0, 0, 0};
  // Sensitivity >= 0.75: three of four positives at or above it; the highest such is 0.6.
  const double t75 = threshold_for(scores, positive, parse_operating_point("sensitivity=0.75"));
  CHECK(t75 == Approx(0.6));
  CHECK(*at_threshold(scores, positive, t75).sensitivity == Approx(0.75));
  CHECK(*at_threshold(scores, positive, t75).specificity == Approx(0.8));
  CHECK(threshold_for(scores, positive, {"sensitivity", 1.0}) == Approx(0.3));
  CHECK(threshold_for(scores, positive, {"sensitivity", 0.74}) == Approx(0.6));  // ceil(0.74 x 4) = 3
  // Specificity >= 0.8: four of five negatives below it; the lowest such is the next score above 0.4.
  const double s80 = threshold_for(scores, positive, parse_operating_point("specificity=0.8"));
  CHECK(s80 == Approx(0.6));
  CHECK(*at_threshold(scores, positive, s80).specificity == Approx(0.8));
  // Every negative below: just above the highest negative, which no positive exceeds here.
  const double s100 = threshold_for(scores, positive, {"specificity", 1.0});
  CHECK(s100 == Approx(0.8));
  CHECK(*at_threshold(scores, positive, s100).specificity == Approx(1.0));

  CHECK_THROWS_WITH(parse_operating_point("recall=0.9"), Catch::Contains("sensitivity=X"));
  CHECK_THROWS_WITH(parse_operating_point("sensitivity=1.5"), Catch::Contains("sensitivity=1.5"));
  CHECK_THROWS_WITH(parse_operating_point("sensitivity=0.9x"), Catch::Contains("0.9x"));
  CHECK_THROWS_WITH(threshold_for({0.5f}, {0}, {"sensitivity", 0.9}), Catch::Contains("no positive"));
}
