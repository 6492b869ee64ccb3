#include "eval/explain/selection.h"

#include <algorithm>
#include <numeric>

namespace softvit {
namespace {

// Largest minus second-largest probability of a row.
float margin(const ScoreMatrix& p, int64_t row) {
  float first = -1, second = -1;
  for (int64_t c = 0; c < p.cols; ++c) {
    const float v = p(row, c);
    if (v > first) {
      second = first;
      first = v;
    } else if (v > second) {
      second = v;
    }
  }
  return second < 0 ? first : first - second;
}

}  // namespace

std::vector<ExplainChoice> choose_images_to_explain(const ScoreMatrix& probabilities,
                                                    const std::vector<int64_t>& labels, int64_t per_group) {
  check_labels(probabilities, labels, "labels");
  const std::vector<int64_t> predicted = argmax_rows(probabilities);
  std::vector<char> taken(labels.size(), 0);
  std::vector<ExplainChoice> out;
  // Rows of class c meeting `keep`, the `key` largest first (ties: the earlier row), up to per_group.
  auto choose = [&](int64_t c, const char* group, auto keep, auto key) {
    std::vector<int64_t> rows;
    for (int64_t r = 0; r < probabilities.rows; ++r)
      if (labels[r] == c && !taken[r] && keep(r)) rows.push_back(r);
    std::stable_sort(rows.begin(), rows.end(), [&](int64_t a, int64_t b) { return key(a) > key(b); });
    rows.resize(std::min<size_t>(rows.size(), static_cast<size_t>(std::max<int64_t>(per_group, 0))));
    for (int64_t r : rows) {
      taken[r] = 1;
      out.push_back({r, group, c, predicted[r]});
    }
  };
  for (int64_t c = 0; c < probabilities.cols; ++c) {
    choose(
        c, "correct", [&](int64_t r) { return predicted[r] == c; },
        [&](int64_t r) { return probabilities(r, c); });
    choose(
        c, "wrong", [&](int64_t r) { return predicted[r] != c; },
        [&](int64_t r) { return probabilities(r, predicted[r]); });
    choose(
        c, "uncertain", [](int64_t) { return true; }, [&](int64_t r) { return -margin(probabilities, r); });
  }
  return out;
}

}  // namespace softvit
