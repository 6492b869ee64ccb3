#include "dist/eval_gather.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "core/error.h"
#include "core/strings.h"
#include "dist/process_group.h"

namespace softvit::dist {
namespace {

double safe_log(double p) { return std::log(std::max(p, double{std::numeric_limits<float>::denorm_min()})); }

// Loss of one row as EvalAccumulator sums it: cross-entropy, or binary cross-entropy summed over
// labels. Recomputed from probabilities, so only used for the few padding rows.
double row_loss(const EvalResult& shard, int64_t row) {
  const int64_t c = shard.probabilities.cols;
  if (!shard.multi_label) return -safe_log(shard.probabilities(row, shard.labels[static_cast<size_t>(row)]));
  double sum = 0;
  for (int64_t k = 0; k < c; ++k) {
    const double p = shard.probabilities(row, k), t = shard.targets(row, k);
    sum -= t * safe_log(p) + (1 - t) * safe_log(1 - p);
  }
  return sum;
}

double loss_sum(const EvalResult& r) { return r.loss * r.n * (r.multi_label ? r.probabilities.cols : 1); }

// Row `row` of `s` appended to `acc` (and its name, when every row of the merge is named).
void append_row(EvalAccumulator& acc, const EvalResult& s, int64_t row, int64_t num_classes) {
  ++acc.n;
  if (acc.every_row_named) acc.names.push_back(s.names[static_cast<size_t>(row)]);
  const float* probs = s.probabilities.row(row);
  acc.probabilities.insert(acc.probabilities.end(), probs, probs + num_classes);
  if (acc.multi_label.value_or(false)) {
    const float* t = s.targets.row(row);
    acc.targets.insert(acc.targets.end(), t, t + num_classes);
  } else {
    acc.labels.push_back(s.labels[static_cast<size_t>(row)]);
  }
}

bool every_row_named(const std::vector<EvalResult>& shards) {
  for (const auto& s : shards)
    if (static_cast<int64_t>(s.names.size()) != s.n) return false;
  return true;
}

EvalResult merge_disjoint(const std::vector<EvalResult>& shards, int64_t dataset_size, int64_t num_classes) {
  EvalAccumulator acc(num_classes);
  acc.multi_label = shards[0].multi_label;
  acc.every_row_named = every_row_named(shards);
  for (const auto& s : shards) {
    if (s.n > 0 && s.multi_label != shards[0].multi_label)
      throw Error("evaluation: the ranks disagree on whether the data is multi-label");
    acc.loss_sum += loss_sum(s);
    for (int64_t row = 0; row < s.n; ++row) append_row(acc, s, row, num_classes);
  }
  if (acc.n > dataset_size)
    throw Error(cat("evaluation: the ranks evaluated ", acc.n, " samples, more than the ", dataset_size,
                    " of the split"));
  return acc.result();
}

}  // namespace

EvalResult merge_evaluation_shards(const std::vector<EvalResult>& shards, int64_t dataset_size,
                                   int64_t num_classes, const EvaluationShares& shares) {
  const auto world = static_cast<int64_t>(shards.size());
  if (world == 0) throw Error("evaluation: no shards to merge");
  if (shares.layout == ShareLayout::disjoint) return merge_disjoint(shards, dataset_size, num_classes);
  const int64_t per_rank = (dataset_size + world - 1) / world;  // positions dealt to each rank
  const std::set<int64_t> dropped(shares.dropped_positions.begin(), shares.dropped_positions.end());
  std::vector<int64_t> share(static_cast<size_t>(world), per_rank);
  for (int64_t p : dropped)
    if (p >= 0 && p < per_rank * world) --share[static_cast<size_t>(p % world)];
  for (int64_t r = 0; r < world; ++r) {
    const EvalResult& s = shards[static_cast<size_t>(r)];
    if (s.multi_label != shards[0].multi_label)
      throw Error(
          cat("evaluation: rank ", r, " evaluated multi-label targets, rank 0 did not (or the reverse)"));
    if (s.n != share[static_cast<size_t>(r)])
      throw Error(cat("evaluation: rank ", r, " evaluated ", s.n, " samples but its share of the ",
                      dataset_size, " is ", share[static_cast<size_t>(r)], " (", per_rank, " positions, ",
                      per_rank - share[static_cast<size_t>(r)],
                      " left out): the shards do not fit together"));
  }
  EvalAccumulator acc(num_classes);
  acc.multi_label = shards[0].multi_label;
  acc.every_row_named = every_row_named(shards);
  for (const auto& s : shards) acc.loss_sum += loss_sum(s);
  std::vector<int64_t> next_row(static_cast<size_t>(world), 0);
  for (int64_t p = 0; p < per_rank * world; ++p) {
    if (dropped.count(p)) continue;  // left out: no row on its rank
    const EvalResult& s = shards[static_cast<size_t>(p % world)];
    const int64_t row = next_row[static_cast<size_t>(p % world)]++;
    if (p >= dataset_size) {  // padding: a repeat of an earlier sample, counted once already
      acc.loss_sum -= row_loss(s, row);
      continue;
    }
    append_row(acc, s, row, num_classes);
  }
  return acc.result();
}

EvalResult gather_evaluation(Group& group, const EvalResult& local, int64_t dataset_size, int64_t num_classes,
                             const EvaluationShares& shares) {
  // Ranks hold different numbers of rows (samples left out; disjoint parts of any size), and
  // collectives need equal shapes: every rank pads to the longest and the merge takes each rank's
  // own count.
  std::vector<int64_t> rows, dropped;
  for (const auto& t : group.all_gather(torch::tensor({local.n}, torch::kInt64)))
    rows.push_back(t.item<int64_t>());
  const std::vector<int64_t>& local_dropped = shares.dropped_positions;
  int64_t most_dropped = 0;
  for (const auto& t :
       group.all_gather(torch::tensor({static_cast<int64_t>(local_dropped.size())}, torch::kInt64)))
    most_dropped = std::max(most_dropped, t.item<int64_t>());
  if (most_dropped > 0) {
    std::vector<int64_t> mine = local_dropped;
    mine.resize(static_cast<size_t>(most_dropped), -1);
    for (const auto& t : group.all_gather(torch::tensor(mine, torch::kInt64))) {
      const auto c = t.contiguous();
      for (int64_t i = 0; i < c.numel(); ++i)
        if (c.data_ptr<int64_t>()[i] >= 0) dropped.push_back(c.data_ptr<int64_t>()[i]);
    }
  }
  const int64_t most = *std::max_element(rows.begin(), rows.end());
  const auto padded = [most](torch::Tensor t) {
    if (t.size(0) == most) return t;
    std::vector<int64_t> shape = t.sizes().vec();
    shape[0] = most - t.size(0);
    return torch::cat({t, torch::zeros(shape, t.options())});
  };
  const auto cpu_floats = [](const std::vector<float>& v, int64_t n, int64_t cols) {
    return torch::tensor(v, torch::kFloat32).reshape({n, cols});
  };
  const auto probs = group.all_gather(padded(cpu_floats(local.probabilities.values, local.n, num_classes)));
  const auto losses = group.all_gather(torch::tensor({loss_sum(local)}, torch::kFloat64));
  std::vector<torch::Tensor> labels;
  if (local.multi_label)
    labels = group.all_gather(padded(cpu_floats(local.targets.values, local.n, num_classes)));
  else
    labels = group.all_gather(padded(torch::tensor(local.labels, torch::kInt64).reshape({local.n})));
  std::vector<EvalResult> shards(static_cast<size_t>(group.size()));
  for (size_t r = 0; r < shards.size(); ++r) {
    EvalResult& s = shards[r];
    s.n = rows[r];
    s.multi_label = local.multi_label;
    s.probabilities = ScoreMatrix(s.n, num_classes);
    const auto p = probs[r].contiguous();
    std::copy(p.data_ptr<float>(), p.data_ptr<float>() + s.n * num_classes, s.probabilities.values.begin());
    const double denominator = static_cast<double>(s.n) * (s.multi_label ? num_classes : 1);
    s.loss = s.n > 0 ? losses[r].item<double>() / denominator : 0.0;
    const auto l = labels[r].contiguous();
    if (s.multi_label) {
      s.targets = ScoreMatrix(s.n, num_classes);
      std::copy(l.data_ptr<float>(), l.data_ptr<float>() + s.n * num_classes, s.targets.values.begin());
    } else {
      s.labels.assign(l.data_ptr<int64_t>(), l.data_ptr<int64_t>() + s.n);
    }
  }
  EvalResult merged = merge_evaluation_shards(shards, dataset_size, num_classes, {shares.layout, dropped});
  merged.seconds = local.seconds;
  merged.input_sizes = local.input_sizes;
  return merged;
}

}  // namespace softvit::dist
