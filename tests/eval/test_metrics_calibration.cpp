// Expected calibration error on hand-built cases and against a direct reading of its definition.
#include <random>

#include "catch.h"
#include "eval/metrics_calibration.h"

using namespace softvit;

TEST_CASE("calibration: ECE by hand with 15 bins", "[eval][metrics]") {
  // Confidences 0.91 (right) and 0.89 (wrong) share bin (0.867, 0.933]: accuracy 1/2, mean
  // confidence 0.9, weight 2/3. Confidence 0.7 (right) is alone in (0.667, 0.733]: weight 1/3.
  // ECE = 2/3 * |0.5 - 0.9| + 1/3 * |1 - 0.7| = 0.26667 + 0.1.
  const ScoreMatrix p = ScoreMatrix::from_rows({{0.91, 0.09}, {0.11, 0.89}, {0.3, 0.7}});
  const Calibration c = expected_calibration_error(p, {0, 0, 1});
  CHECK(c.ece == Approx(2.0 / 3 * 0.4 + 1.0 / 3 * 0.3));
  REQUIRE(c.bins.size() == 15);
  CHECK(c.bins[13].count == 2);
  CHECK(c.bins[13].accuracy == Approx(0.5));
  CHECK(c.bins[13].confidence == Approx(0.9));
  CHECK(c.bins[10].count == 1);
  CHECK(c.bins[13].low == Approx(13.0 / 15));
  CHECK(c.bins[13].high == Approx(14.0 / 15));
}

TEST_CASE("calibration: a calibrated bin adds nothing and an overconfident one its gap", "[eval][metrics]") {
  // Four samples at confidence 0.75, three right: accuracy equals confidence, ECE 0.
  const ScoreMatrix p = ScoreMatrix::from_rows({{0.75, 0.25}, {0.75, 0.25}, {0.75, 0.25}, {0.75, 0.25}});
  CHECK(expected_calibration_error(p, {0, 0, 0, 1}).ece == Approx(0.0).margin(1e-7));
  // All wrong at 0.75: ECE 0.75.
  CHECK(expected_calibration_error(p, {1, 1, 1, 1}).ece == Approx(0.75));
}

TEST_CASE("calibration: matches the definition on random probabilities", "[eval][metrics]") {
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::uniform_int_distribution<int64_t> cls(0, 3);
  const int n = 500, k = 4, bins = 15;
  ScoreMatrix p(n, k);
  std::vector<int64_t> labels(n);
  for (int i = 0; i < n; ++i) {
    double sum = 0;
    for (int c = 0; c < k; ++c) sum += p(i, c) = static_cast<float>(std::pow(u(rng), 3));
    for (int c = 0; c < k; ++c) p(i, c) = static_cast<float>(p(i, c) / sum);
    labels[i] = cls(rng);
  }
  // The definition: for each bin (lo, hi], the samples whose confidence falls in it.
  double expected = 0;
  for (int b = 0; b < bins; ++b) {
    const double lo = static_cast<double>(b) / bins, hi = static_cast<double>(b + 1) / bins;
    double count = 0, correct = 0, confidence = 0;
    for (int i = 0; i < n; ++i) {
      int best = 0;
      for (int c = 1; c < k; ++c)
        if (p(i, c) > p(i, best)) best = c;
      const double conf = p(i, best);
      if (conf > lo && conf <= hi) {
        count += 1;
        correct += best == labels[i];
        confidence += conf;
      }
    }
    if (count > 0) expected += count / n * std::abs(correct / count - confidence / count);
  }
  CHECK(expected_calibration_error(p, labels, bins).ece == Approx(expected).margin(1e-12));
  CHECK_THROWS(expected_calibration_error(p, labels, 0));
}
