#include "data/sources/index_classes.h"

#include <algorithm>

#include "core/error.h"
#include "core/strings.h"

namespace softvit {

std::vector<std::string> index_classes(const std::vector<int64_t>& labels, int64_t min_classes,
                                       const std::function<std::string(size_t)>& where) {
  int64_t largest = -1;
  for (int64_t y : labels) largest = std::max(largest, y);
  std::vector<bool> present(static_cast<size_t>(largest + 1), false);
  for (int64_t y : labels)
    if (y >= 0) present[static_cast<size_t>(y)] = true;
  const auto gap = std::find(present.begin(), present.end(), false);
  if (gap != present.end()) {
    const auto first_missing = static_cast<int64_t>(gap - present.begin());
    int64_t last_missing = first_missing;
    while (last_missing + 1 <= largest && !present[static_cast<size_t>(last_missing + 1)]) ++last_missing;
    // The first sample above the gap is the likeliest stray label.
    size_t row = 0;
    while (labels[row] <= first_missing) ++row;
    const std::string missing = first_missing == last_missing
                                    ? cat("class ", first_missing, " has")
                                    : cat("classes ", first_missing, "..", last_missing, " have");
    throw DataError(cat(where(row), ": label ", labels[row], ", but ", missing,
                        " no sample: the labels would make ", largest + 1,
                        " classes. Fix the label, or name every class in data.classes (in label order)"));
  }
  std::vector<std::string> classes;
  for (int64_t c = 0; c < std::max(largest + 1, min_classes); ++c) classes.push_back(std::to_string(c));
  return classes;
}

}  // namespace softvit
