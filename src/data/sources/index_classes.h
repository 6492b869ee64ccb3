// Classes of labels that are indices (arrays, numeric CSV labels) when data.classes does not name
// them. Inferring "0".."K-1" from the largest label lets one stray value (a 255 among 0/1, a 9
// among 0-4) silently make a model of 256 or 10 classes; so every class up to the largest label
// must have a sample, and anything else is an error naming the file, the row and the value.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace softvit {

// "0".."K-1", K = max(largest label + 1, min_classes). `where(i)` names sample i ("file:line",
// "file.npz:train[i]") in the error thrown (DataError) when some class below the largest label has
// no sample. Negative labels are left to the range check of the source.
std::vector<std::string> index_classes(const std::vector<int64_t>& labels, int64_t min_classes,
                                       const std::function<std::string(size_t)>& where);

}  // namespace softvit
