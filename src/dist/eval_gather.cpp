#include "dist/eval_gather.h"

#include <algorithm>
#include <cmath>
#include <limits>

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

// Row `row` of `s` appended to `acc`.
void append_row(EvalAccumulator& acc, const EvalResult& s, int64_t row, int64_t num_classes) {
  const float* probs = s.probabilities.row(row);
  acc.probabilities.insert(acc.probabilities.end(), probs, probs + num_classes);
  if (acc.multi_label.value_or(false)) {
    const float* t = s.targets.row(row);
    acc.targets.insert(acc.targets.end(), t, t + num_classes);
  } else {
    acc.labels.push_back(s.labels[static_cast<size_t>(row)]);
  }
}

EvalResult merge_disjoint(const std::vector<EvalResult>& shards, int64_t dataset_size, int64_t num_classes) {
  EvalAccumulator acc(num_classes);
  acc.multi_label = shards[0].multi_label;
  for (const auto& s : shards) {
    if (s.n > 0 && s.multi_label != shards[0].multi_label)
      throw Error("evaluation: the ranks disagree on whether the data is multi-label");
    acc.n += s.n;
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
                                   int64_t num_classes, ShareLayout layout) {
  const auto world = static_cast<int64_t>(shards.size());
  if (world == 0) throw Error("evaluation: no shards to merge");
  if (layout == ShareLayout::disjoint) return merge_disjoint(shards, dataset_size, num_classes);
  const int64_t rows = shards[0].n;
  for (int64_t r = 0; r < world; ++r)
    if (shards[static_cast<size_t>(r)].n != rows ||
        shards[static_cast<size_t>(r)].multi_label != shards[0].multi_label)
      throw Error(cat("evaluation: rank ", r, " evaluated ", shards[static_cast<size_t>(r)].n,
                      " samples, rank 0 ", rows, "; every rank must get an equal share"));
  if (rows * world < dataset_size || rows * world - dataset_size >= world)
    throw Error(cat("evaluation: ", world, " shards of ", rows, " samples do not cover ", dataset_size,
                    " samples with less than one row of padding per rank"));
  EvalAccumulator acc(num_classes);
  acc.multi_label = shards[0].multi_label;
  acc.n = dataset_size;
  for (const auto& s : shards) acc.loss_sum += loss_sum(s);
  for (int64_t p = 0; p < rows * world; ++p) {
    const EvalResult& s = shards[static_cast<size_t>(p % world)];
    const int64_t row = p / world;
    if (p >= dataset_size) {  // padding: a repeat of an earlier sample, counted once already
      acc.loss_sum -= row_loss(s, row);
      continue;
    }
    append_row(acc, s, row, num_classes);
  }
  return acc.result();
}

EvalResult gather_evaluation(Group& group, const EvalResult& local, int64_t dataset_size, int64_t num_classes,
                             ShareLayout layout) {
  // all_gather needs equal shapes: each rank pads its rows to the largest count.
  std::vector<int64_t> counts;
  for (const auto& t : group.all_gather(torch::tensor({local.n}, torch::kInt64)))
    counts.push_back(t.item<int64_t>());
  const int64_t rows = *std::max_element(counts.begin(), counts.end());
  const auto padded = [rows](torch::Tensor t) {
    if (t.size(0) == rows) return t;
    std::vector<int64_t> shape = t.sizes().vec();
    shape[0] = rows - t.size(0);
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
    s.n = counts[r];
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
  EvalResult merged = merge_evaluation_shards(shards, dataset_size, num_classes, layout);
  merged.seconds = local.seconds;
  return merged;
}

}  // namespace softvit::dist
