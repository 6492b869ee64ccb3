// A seeded, stratified hold-out of a training split (data.val_fraction): the part validated on
// and the rest trained on, both views of the same source, disjoint and together the whole split.
#pragma once
#include "data/sources/source.h"

namespace softvit {

// The split name of the held-out part when data.val_fraction > 0 (data.val_split then names it).
inline constexpr const char* kHoldOutSplit = "holdout";

// The samples of `source` held out: in every class round(fraction x its count) of them, drawn
// from (seed, class), but always at least one when the class has two or more and never its last
// one, so every class stays in training. Multi-label sources are drawn as one group. Sorted.
std::vector<int64_t> stratified_holdout(const Source& source, double fraction, uint64_t seed);

// The held-out part of `whole` (held_out true) or the rest, first `limit` samples (0: all).
// Problems found while listing `whole` go with the rest (the training part).
SourcePtr holdout_part(const SourcePtr& whole, double fraction, uint64_t seed, bool held_out, int64_t limit);

}  // namespace softvit
