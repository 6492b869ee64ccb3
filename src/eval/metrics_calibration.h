// Expected calibration error (Guo et al. 2017, "On Calibration of Modern Neural Networks"):
// samples are binned by confidence, the largest class probability, into equal-width bins
// (lo, hi] over [0, 1]; ECE = sum over bins of |bin| / n * |accuracy(bin) - mean confidence(bin)|,
// where a sample is correct when its most probable class (first on ties) is its label.
#pragma once
#include <cstdint>
#include <vector>

#include "eval/score_matrix.h"

namespace softvit {

struct CalibrationBin {
  double low = 0, high = 0;  // confidence range (low, high]; the first bin also holds 0
  int64_t count = 0;
  double accuracy = 0, confidence = 0;  // means over the bin; 0 when empty
};

struct Calibration {
  double ece = 0;  // 0 with no samples
  std::vector<CalibrationBin> bins;
};

Calibration expected_calibration_error(const ScoreMatrix& probabilities, const std::vector<int64_t>& labels,
                                       int bins = 15);

}  // namespace softvit
