// Bootstrap intervals: reproducible, around the estimate, narrowing with n like the standard error.
#include <cmath>

#include "catch.h"
#include "eval/metrics.h"
#include "eval/metrics_bootstrap.h"
#include "eval/metrics_confusion.h"

using namespace softvit;

namespace {

// The mean of a 0/1 vector with `ones` ones in n, as a weighted statistic.
WeightedStatistic mean_of(std::vector<double> values) {
  return [values](const std::vector<double>& w) -> std::optional<double> {
    double sum = 0, total = 0;
    for (size_t i = 0; i < values.size(); ++i) {
      sum += w[i] * values[i];
      total += w[i];
    }
    return sum / total;
  };
}

std::vector<double> bernoulli(int n, int ones) {
  std::vector<double> v(n, 0.0);
  for (int i = 0; i < ones; ++i) v[i * n / ones] = 1;
  return v;
}

Interval interval_of(int n, int ones, uint64_t seed, int resamples = 1000) {
  return *bootstrap_intervals(n, {mean_of(bernoulli(n, ones))}, {resamples, seed, 0.95})[0];
}

}  // namespace

TEST_CASE("bootstrap: quantiles interpolate linearly like numpy", "[eval][metrics]") {
  CHECK(quantile({4, 1, 3, 2}, 0.25) == Approx(1.75));
  CHECK(quantile({4, 1, 3, 2}, 0.5) == Approx(2.5));
  CHECK(quantile({4, 1, 3, 2}, 1.0) == 4);
  CHECK(quantile({7}, 0.3) == 7);
}

TEST_CASE("bootstrap: the same seed gives the same interval and another seed another", "[eval][metrics]") {
  const Interval a = interval_of(200, 140, 5), b = interval_of(200, 140, 5), c = interval_of(200, 140, 6);
  CHECK(a.low == b.low);
  CHECK(a.high == b.high);
  CHECK((a.low != c.low || a.high != c.high));
}

TEST_CASE("bootstrap: intervals contain the estimate and shrink like one over root n", "[eval][metrics]") {
  const Interval small = interval_of(100, 50, 1), large = interval_of(1600, 800, 1);
  for (const Interval& i : {small, large}) {
    CHECK(i.low < 0.5);
    CHECK(i.high > 0.5);
    CHECK(i.resamples_used == 1000);
  }
  // The normal approximation: width 2 * 1.96 * sqrt(p (1 - p) / n); 16x the samples, 1/4 the width.
  const double width_small = small.high - small.low, width_large = large.high - large.low;
  CHECK(width_small == Approx(2 * 1.96 * std::sqrt(0.25 / 100)).epsilon(0.15));
  CHECK(width_large == Approx(2 * 1.96 * std::sqrt(0.25 / 1600)).epsilon(0.15));
  CHECK(width_large < width_small / 3);
}

TEST_CASE("bootstrap: resamples where a statistic is undefined are skipped", "[eval][metrics]") {
  // Defined only when sample 0 is drawn: probability 1 - (1 - 1/10)^10 = 0.651 per resample.
  const WeightedStatistic needs_first = [](const std::vector<double>& w) -> std::optional<double> {
    if (w[0] == 0) return std::nullopt;
    return w[0];
  };
  const auto intervals = bootstrap_intervals(10, {needs_first}, {1000, 0, 0.95});
  REQUIRE(intervals[0].has_value());
  CHECK(intervals[0]->resamples_used > 600);
  CHECK(intervals[0]->resamples_used < 700);
  CHECK_FALSE(bootstrap_intervals(10, {[](const std::vector<double>&) { return std::optional<double>(); }},
                                  {100, 0, 0.95})[0]
                  .has_value());
  CHECK_THROWS(bootstrap_intervals(10, {needs_first}, {100, 0, 1.5}));
}

TEST_CASE("bootstrap: the report's intervals hold its top-1 and balanced accuracy and AUROC",
          "[eval][metrics]") {
  // 300 samples, 3 classes, a noisy but informative scorer.
  const int n = 300;
  ScoreMatrix p(n, 3);
  std::vector<int64_t> labels(n);
  for (int i = 0; i < n; ++i) {
    labels[i] = i % 3;
    const int guess = (i % 7 == 0) ? (i + 1) % 3 : i % 3;
    for (int c = 0; c < 3; ++c) p(i, c) = c == guess ? 0.6f + 0.001f * (i % 50) : 0.2f - 0.0005f * (i % 50);
  }
  MetricOptions options;
  options.bootstrap = 300;
  options.bootstrap_seed = 9;
  const MetricReport r = classification_metrics(p, labels, {}, options);
  const MetricReport again = classification_metrics(p, labels, {}, options);
  REQUIRE(r.ci.size() == 3);
  const double points[] = {r.top1, *r.balanced_accuracy, *r.auroc_macro};
  for (size_t k = 0; k < 3; ++k) {
    INFO(r.ci[k].metric);
    REQUIRE(r.ci[k].interval.has_value());
    CHECK(r.ci[k].interval->low <= points[k]);
    CHECK(r.ci[k].interval->high >= points[k]);
    CHECK(r.ci[k].interval->high > r.ci[k].interval->low);
    CHECK(again.ci[k].interval->low == r.ci[k].interval->low);
  }
  CHECK(r.ci[0].metric == "top1");
  CHECK(r.ci[1].metric == "balanced_accuracy");
  CHECK(r.ci[2].metric == "auroc_macro");
}

TEST_CASE("bootstrap: the report's intervals equal a resampling of the confusion matrix", "[eval][metrics]") {
  // The report computes resampled top-1 and balanced accuracy from per-sample weights directly;
  // the same resamples (same seed) through a weighted confusion matrix must give the same interval.
  const int n = 120;
  ScoreMatrix p(n, 4);
  std::vector<int64_t> labels(n);
  for (int i = 0; i < n; ++i) {
    labels[i] = (i * 7) % 4 == 3 && i % 5 ? 0 : (i * 7) % 4;  // imbalanced: few of class 3
    for (int c = 0; c < 4; ++c)
      p(i, c) = 0.1f + 0.2f * ((i * (c + 3)) % 5 == 0) + 0.3f * (c == labels[i] && i % 3);
  }
  MetricOptions options;
  options.bootstrap = 200;
  options.bootstrap_seed = 4;
  const MetricReport r = classification_metrics(p, labels, {}, options);
  const std::vector<int64_t> predicted = argmax_rows(p);
  const auto reference =
      bootstrap_intervals(n,
                          {[&](const std::vector<double>& w) -> std::optional<double> {
                             return accuracy(confusion_matrix(labels, predicted, 4, w));
                           },
                           [&](const std::vector<double>& w) {
                             return balanced_accuracy(confusion_matrix(labels, predicted, 4, w));
                           }},
                          {200, 4, 0.95});
  for (int k = 0; k < 2; ++k) {
    INFO(r.ci[k].metric);
    CHECK(r.ci[k].interval->low == Approx(reference[k]->low).margin(1e-12));
    CHECK(r.ci[k].interval->high == Approx(reference[k]->high).margin(1e-12));
  }
}

TEST_CASE("bootstrap: the AUROC interval is skipped with a warning above the cost budget",
          "[eval][metrics]") {
  const ScoreMatrix p =
      ScoreMatrix::from_rows({{0.7, 0.2, 0.1}, {0.2, 0.5, 0.3}, {0.1, 0.3, 0.6}, {0.4, 0.4, 0.2}});
  MetricOptions options;
  options.bootstrap = 100;
  options.bootstrap_auc_budget = 100 * 4 * 3 - 1;  // resamples x samples x classes, less one
  const MetricReport r = classification_metrics(p, {0, 1, 2, 0}, {}, options);
  REQUIRE(r.ci.size() == 2);
  CHECK(r.ci[0].metric == "top1");
  CHECK(r.ci[1].metric == "balanced_accuracy");
  REQUIRE(r.warnings.size() == 1);
  CHECK(r.warnings[0].find("auroc_macro") != std::string::npos);
  CHECK_FALSE(to_json(r)["ci95"].contains("auroc_macro"));
}
