// Top-k accuracy from per-image scores. Ties rank the lower class index first, as argmax_rows
// does, so top-1 here always agrees with the predicted class reported elsewhere.
#pragma once
#include <cstdint>
#include <vector>

#include "eval/score_matrix.h"

namespace softvit {

// The rank (0 = best) of each sample's true class among its scores.
std::vector<int64_t> true_class_ranks(const ScoreMatrix& scores, const std::vector<int64_t>& labels);

// Fraction of samples whose true class ranks among the first k; 0 with no samples.
double top_k_accuracy(const ScoreMatrix& scores, const std::vector<int64_t>& labels, int64_t k);

}  // namespace softvit
