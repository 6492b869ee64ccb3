#include "eval/metrics_bootstrap.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "core/error.h"
#include "core/strings.h"

namespace softvit {
namespace {

// Uniform in [0, n) by rejection: unlike std::uniform_int_distribution, the same on every
// standard library, so a seed gives the same intervals everywhere.
uint64_t uniform_index(std::mt19937_64& rng, uint64_t n) {
  const uint64_t limit = std::numeric_limits<uint64_t>::max() - std::numeric_limits<uint64_t>::max() % n;
  uint64_t x;
  do x = rng();
  while (x >= limit);
  return x % n;
}

}  // namespace

double quantile(std::vector<double> values, double q) {
  if (values.empty()) throw Error("quantile of no values");
  std::sort(values.begin(), values.end());
  const double position = std::clamp(q, 0.0, 1.0) * static_cast<double>(values.size() - 1);
  const size_t below = static_cast<size_t>(std::floor(position));
  const size_t above = std::min(below + 1, values.size() - 1);
  return values[below] + (position - below) * (values[above] - values[below]);
}

std::vector<std::optional<Interval>> bootstrap_intervals(int64_t samples,
                                                         const std::vector<WeightedStatistic>& statistics,
                                                         const BootstrapOptions& options) {
  if (options.resamples < 0) throw Error(cat("bootstrap: ", options.resamples, " resamples"));
  if (!(options.confidence > 0 && options.confidence < 1))
    throw Error(cat("bootstrap: confidence ", options.confidence, " is not in (0, 1)"));
  std::vector<std::vector<double>> values(statistics.size());
  if (samples > 0) {
    std::mt19937_64 rng(options.seed);
    std::vector<double> weights(samples);
    for (int b = 0; b < options.resamples; ++b) {
      std::fill(weights.begin(), weights.end(), 0.0);
      for (int64_t i = 0; i < samples; ++i) weights[uniform_index(rng, samples)] += 1;
      for (size_t s = 0; s < statistics.size(); ++s)
        if (auto v = statistics[s](weights)) values[s].push_back(*v);
    }
  }
  std::vector<std::optional<Interval>> out;
  const double tail = (1 - options.confidence) / 2;
  for (const auto& v : values) {
    if (v.size() < 2) {
      out.push_back(std::nullopt);
      continue;
    }
    out.push_back(Interval{quantile(v, tail), quantile(v, 1 - tail), static_cast<int>(v.size())});
  }
  return out;
}

}  // namespace softvit
