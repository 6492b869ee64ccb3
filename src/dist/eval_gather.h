// Sharded evaluation: each rank evaluates its part of the split (the sampler deals positions
// r, r + W, r + 2W, ... to rank r, padding the end with repeats of the first samples); the parts
// are gathered and put back in the split's order, the padding dropped, so that the metrics equal
// those of one process over the whole split. Samples an evaluation loader left out (unreadable,
// under data.on_error skip) are named by their positions: they have no row, and n counts only
// the samples scored. A loader that splits by shards (ShareLayout::disjoint) gives parts of any
// size, each sample in one of them (a sample left out is in none): they are put one after the
// other, in rank order, and there is no padding.
#pragma once
#include <vector>

#include "data/data_loader.h"
#include "eval/evaluate.h"

namespace softvit::dist {

class Group;

// Every rank's evaluation of its shard, in rank order -> the evaluation of the `dataset_size`
// samples, less those left out (interleaved: at `shares.dropped_positions`, every rank's, in the
// epoch order; disjoint: in no part). Throws Error when the shards do not fit together
// (interleaved: a rank with more or fewer rows than its share; disjoint: more rows than samples).
EvalResult merge_evaluation_shards(const std::vector<EvalResult>& shards, int64_t dataset_size,
                                   int64_t num_classes, const EvaluationShares& shares = {});

// Gathers `local` (and, interleaved, the positions this rank left out) from every rank and merges;
// the same result on every rank.
EvalResult gather_evaluation(Group& group, const EvalResult& local, int64_t dataset_size, int64_t num_classes,
                             const EvaluationShares& shares = {});

}  // namespace softvit::dist
