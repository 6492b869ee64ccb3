// Per-image scores as a plain row-major matrix (n images x k classes or labels), the input of
// every metric in eval/metrics_*.h. Float storage keeps ImageNet-sized splits (50k x 1000) at
// 200 MB; the metrics accumulate in double.
#pragma once
#include <cstdint>
#include <vector>

namespace softvit {

struct ScoreMatrix {
  int64_t rows = 0, cols = 0;
  std::vector<float> values;  // rows * cols, row-major

  ScoreMatrix() = default;
  ScoreMatrix(int64_t rows, int64_t cols) : rows(rows), cols(cols), values(rows * cols, 0.0f) {}

  float operator()(int64_t r, int64_t c) const { return values[r * cols + c]; }
  float& operator()(int64_t r, int64_t c) { return values[r * cols + c]; }
  const float* row(int64_t r) const { return values.data() + r * cols; }

  // From nested rows (tests, small inputs); throws Error if the rows differ in length.
  static ScoreMatrix from_rows(const std::vector<std::vector<double>>& rows);
  std::vector<float> column(int64_t c) const;
};

// The index of each row's largest score; the first one on ties.
std::vector<int64_t> argmax_rows(const ScoreMatrix& scores);

// Throws Error unless `labels` has one entry per row, each in [0, scores.cols).
void check_labels(const ScoreMatrix& scores, const std::vector<int64_t>& labels, const char* what);

}  // namespace softvit
