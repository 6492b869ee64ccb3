#include "eval/metrics_topk.h"

namespace softvit {

std::vector<int64_t> true_class_ranks(const ScoreMatrix& scores, const std::vector<int64_t>& labels) {
  check_labels(scores, labels, "top-k accuracy");
  std::vector<int64_t> ranks(scores.rows, 0);
  for (int64_t r = 0; r < scores.rows; ++r) {
    const float* row = scores.row(r);
    const float truth = row[labels[r]];
    for (int64_t c = 0; c < scores.cols; ++c)
      if (row[c] > truth || (row[c] == truth && c < labels[r])) ++ranks[r];
  }
  return ranks;
}

double top_k_accuracy(const ScoreMatrix& scores, const std::vector<int64_t>& labels, int64_t k) {
  if (scores.rows == 0) return 0.0;
  int64_t hits = 0;
  for (int64_t rank : true_class_ranks(scores, labels)) hits += rank < k;
  return static_cast<double>(hits) / scores.rows;
}

}  // namespace softvit
