// Percentile bootstrap confidence intervals. Each resample draws n samples with replacement,
// expressed as a count per sample, so statistics take per-sample weights and need no copy of the
// data. All statistics see the same resamples (paired), and the draw depends only on the seed, so
// a run is reproducible. A statistic undefined on a resample (e.g. an AUC when the resample lost a
// class's every positive) skips that resample; the interval reports how many it used.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

namespace softvit {

struct BootstrapOptions {
  int resamples = 1000;
  uint64_t seed = 0;
  double confidence = 0.95;
};

struct Interval {
  double low = 0, high = 0;
  int resamples_used = 0;
};

// Maps per-sample weights (bootstrap counts) to a value, or nullopt where it is undefined.
using WeightedStatistic = std::function<std::optional<double>(const std::vector<double>& weights)>;

// One interval per statistic: the (1 - confidence) / 2 and (1 + confidence) / 2 quantiles of its
// resampled values, linearly interpolated (numpy.percentile's default). Undefined when fewer than
// two resamples gave a value.
std::vector<std::optional<Interval>> bootstrap_intervals(int64_t samples,
                                                         const std::vector<WeightedStatistic>& statistics,
                                                         const BootstrapOptions& options);

// The q-quantile (q in [0, 1]) of `values` with linear interpolation between order statistics.
double quantile(std::vector<double> values, double q);

}  // namespace softvit
