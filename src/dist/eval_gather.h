// Sharded evaluation: each rank evaluates its part of the split (the sampler deals positions
// r, r + W, r + 2W, ... to rank r, padding the end with repeats of the first samples); the parts
// are gathered and put back in the split's order, the padding dropped, so that the metrics equal
// those of one process over the whole split. Samples an evaluation loader left out (unreadable,
// under data.on_error skip) are named by their positions: they have no row, and n counts only
// the samples scored.
#pragma once
#include <vector>

#include "eval/evaluate.h"

namespace softvit::dist {

class Group;

// Every rank's evaluation of its shard, in rank order -> the evaluation of the `dataset_size`
// samples but those at `dropped_positions` (every rank's, in the epoch order). Throws Error when
// the shards do not fit together (a rank with more or fewer rows than its share).
EvalResult merge_evaluation_shards(const std::vector<EvalResult>& shards, int64_t dataset_size,
                                   int64_t num_classes, const std::vector<int64_t>& dropped_positions = {});

// Gathers `local` (and the positions this rank left out) from every rank and merges; the same
// result on every rank.
EvalResult gather_evaluation(Group& group, const EvalResult& local, int64_t dataset_size, int64_t num_classes,
                             const std::vector<int64_t>& local_dropped = {});

}  // namespace softvit::dist
