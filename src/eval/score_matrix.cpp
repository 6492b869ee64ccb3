#include "eval/score_matrix.h"

#include "core/error.h"
#include "core/strings.h"

namespace softvit {

ScoreMatrix ScoreMatrix::from_rows(const std::vector<std::vector<double>>& rows) {
  ScoreMatrix m(static_cast<int64_t>(rows.size()), rows.empty() ? 0 : static_cast<int64_t>(rows[0].size()));
  for (int64_t r = 0; r < m.rows; ++r) {
    if (static_cast<int64_t>(rows[r].size()) != m.cols)
      throw Error(cat("score matrix row ", r, " has ", rows[r].size(), " values, row 0 has ", m.cols));
    for (int64_t c = 0; c < m.cols; ++c) m(r, c) = static_cast<float>(rows[r][c]);
  }
  return m;
}

std::vector<float> ScoreMatrix::column(int64_t c) const {
  std::vector<float> out(rows);
  for (int64_t r = 0; r < rows; ++r) out[r] = (*this)(r, c);
  return out;
}

std::vector<int64_t> argmax_rows(const ScoreMatrix& scores) {
  std::vector<int64_t> out(scores.rows, 0);
  for (int64_t r = 0; r < scores.rows; ++r) {
    const float* row = scores.row(r);
    for (int64_t c = 1; c < scores.cols; ++c)
      if (row[c] > row[out[r]]) out[r] = c;
  }
  return out;
}

void check_labels(const ScoreMatrix& scores, const std::vector<int64_t>& labels, const char* what) {
  if (static_cast<int64_t>(labels.size()) != scores.rows)
    throw Error(cat(what, ": ", labels.size(), " labels for ", scores.rows, " score rows"));
  for (size_t i = 0; i < labels.size(); ++i)
    if (labels[i] < 0 || labels[i] >= scores.cols)
      throw Error(cat(what, ": label ", labels[i], " of sample ", i, " is outside [0, ", scores.cols, ")"));
}

}  // namespace softvit
