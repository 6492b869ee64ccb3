#include "eval/metrics_calibration.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/strings.h"

namespace softvit {

Calibration expected_calibration_error(const ScoreMatrix& probabilities, const std::vector<int64_t>& labels,
                                       int bins) {
  if (bins < 1) throw Error(cat("calibration: ", bins, " bins; need at least 1"));
  check_labels(probabilities, labels, "calibration");
  Calibration out;
  out.bins.resize(bins);
  std::vector<double> correct(bins, 0.0), confidence(bins, 0.0);
  const std::vector<int64_t> predicted = argmax_rows(probabilities);
  for (int64_t r = 0; r < probabilities.rows; ++r) {
    const double p = probabilities(r, predicted[r]);
    // Bin b holds (b / bins, (b + 1) / bins]: the ceiling, less one, clamped into range.
    const int b = std::clamp(static_cast<int>(std::ceil(p * bins)) - 1, 0, bins - 1);
    out.bins[b].count += 1;
    correct[b] += predicted[r] == labels[r];
    confidence[b] += p;
  }
  for (int b = 0; b < bins; ++b) {
    CalibrationBin& bin = out.bins[b];
    bin.low = static_cast<double>(b) / bins;
    bin.high = static_cast<double>(b + 1) / bins;
    if (bin.count == 0) continue;
    bin.accuracy = correct[b] / bin.count;
    bin.confidence = confidence[b] / bin.count;
    out.ece += static_cast<double>(bin.count) / probabilities.rows * std::abs(bin.accuracy - bin.confidence);
  }
  return out;
}

}  // namespace softvit
