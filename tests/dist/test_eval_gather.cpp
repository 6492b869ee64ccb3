// Sharded evaluation: the shards of the sampler's rank split, merged, give the evaluation of the
// whole split by one process (same order, padding counted once).
#include <set>

#include "catch.h"
#include "data/sampler.h"
#include "data/sources/synthetic_source.h"
#include "dist/eval_gather.h"

using namespace softvit;

namespace {

// Evaluation of the samples `indices` (rows of `logits`, `labels`) by one accumulator.
EvalResult evaluate_rows(const torch::Tensor& logits, const torch::Tensor& labels,
                         const std::vector<int64_t>& indices) {
  EvalAccumulator acc(logits.size(1));
  const auto index = torch::tensor(indices, torch::kInt64);
  if (!indices.empty()) acc.add(logits.index_select(0, index), labels.index_select(0, index));
  return acc.result();
}

// Each rank's evaluation of its shard as the sequential evaluation sampler deals it, the samples
// `unreadable` left out; `dropped` receives their positions.
std::vector<EvalResult> shards_of(const torch::Tensor& logits, const torch::Tensor& labels, int world,
                                  const std::set<int64_t>& unreadable, std::vector<int64_t>& dropped) {
  const int64_t n = logits.size(0);
  SyntheticSource source(n, 8, static_cast<int>(logits.size(1)), 1, "test");
  std::vector<EvalResult> shards;
  for (int r = 0; r < world; ++r) {
    SamplerOptions o;
    o.rank = r;
    o.world_size = world;
    std::vector<int64_t> mine;
    for (const auto& e : epoch_order(source, o, 0)) {
      if (unreadable.count(e.index))
        dropped.push_back(e.position);
      else
        mine.push_back(e.index);
    }
    shards.push_back(evaluate_rows(logits, labels, mine));
  }
  return shards;
}

void check_merge(int64_t n, int world, bool multi_label) {
  const int64_t classes = 5;
  torch::manual_seed(7);
  const auto logits = torch::randn({n, classes}) * 3;
  const auto labels = multi_label ? (torch::rand({n, classes}) > 0.5).to(torch::kFloat32)
                                  : torch::randint(0, classes, {n}, torch::kInt64);
  std::vector<int64_t> all(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) all[static_cast<size_t>(i)] = i;
  const EvalResult whole = evaluate_rows(logits, labels, all);

  std::vector<int64_t> none;
  const std::vector<EvalResult> shards = shards_of(logits, labels, world, {}, none);
  const EvalResult merged = dist::merge_evaluation_shards(shards, n, classes);
  CHECK(merged.n == n);
  CHECK(merged.loss == Approx(whole.loss).epsilon(1e-6));
  CHECK(merged.top1 == Approx(whole.top1));
  CHECK(merged.top5 == Approx(whole.top5));
  // Same rows in the same order (softmax over a different batch may round differently in the last bit).
  REQUIRE(merged.probabilities.values.size() == whole.probabilities.values.size());
  for (size_t i = 0; i < whole.probabilities.values.size(); ++i)
    REQUIRE(merged.probabilities.values[i] == Approx(whole.probabilities.values[i]).margin(1e-6));
  CHECK(merged.labels == whole.labels);
  CHECK(merged.targets.values == whole.targets.values);
  if (!multi_label) CHECK(merged.confusion.counts == whole.confusion.counts);
}

}  // namespace

TEST_CASE("dist: merged evaluation shards equal one process over the split", "[dist]") {
  check_merge(37, 2, false);  // one padding row
  check_merge(37, 4, false);  // three padding rows
  check_merge(40, 4, false);  // none
  check_merge(3, 4, false);   // more ranks than samples
  check_merge(29, 3, true);   // multi-label
}

TEST_CASE("dist: shards that do not fit together are an error", "[dist]") {
  EvalAccumulator a(3), b(3);
  a.add(torch::zeros({2, 3}), torch::tensor({0, 1}, torch::kInt64));
  b.add(torch::zeros({1, 3}), torch::tensor({2}, torch::kInt64));
  CHECK_THROWS_WITH(dist::merge_evaluation_shards({a.result(), b.result()}, 3, 3), Catch::Contains("share"));
  CHECK_THROWS_WITH(dist::merge_evaluation_shards({a.result(), a.result()}, 7, 3),
                    Catch::Contains("do not fit together"));
}

TEST_CASE("dist: samples left out on their ranks are not scored, and n counts the rest", "[dist]") {
  const int64_t n = 37, classes = 4;
  const int world = 4;
  torch::manual_seed(3);
  const auto logits = torch::randn({n, classes}) * 2;
  const auto labels = torch::randint(0, classes, {n}, torch::kInt64);
  const std::set<int64_t> unreadable = {0, 5, 22};  // sample 0 is also the padding at position 37
  std::vector<int64_t> readable;
  for (int64_t i = 0; i < n; ++i)
    if (!unreadable.count(i)) readable.push_back(i);
  const EvalResult whole = evaluate_rows(logits, labels, readable);

  std::vector<int64_t> dropped;
  const std::vector<EvalResult> shards = shards_of(logits, labels, world, unreadable, dropped);
  CHECK(dropped.size() == 4);  // positions 0, 5, 22 and the padding 37
  const EvalResult merged = dist::merge_evaluation_shards(shards, n, classes, {ShareLayout::interleaved, dropped});
  CHECK(merged.n == 34);
  CHECK(merged.labels == whole.labels);
  CHECK(merged.loss == Approx(whole.loss).epsilon(1e-6));
  CHECK(merged.top1 == Approx(whole.top1));
  // Without the dropped positions the shards do not fit together.
  CHECK_THROWS_WITH(dist::merge_evaluation_shards(shards, n, classes), Catch::Contains("share"));
}

TEST_CASE("dist: disjoint shards of any size (a shard loader's) are put one after the other", "[dist]") {
  const int64_t n = 11, classes = 4;
  torch::manual_seed(3);
  const auto logits = torch::randn({n, classes}) * 2;
  const auto labels = torch::randint(0, classes, {n}, torch::kInt64);
  std::vector<int64_t> first = {0, 1, 2, 3, 4}, second = {}, third = {5, 6, 7, 8, 9, 10}, all;
  for (const auto& part : {first, second, third}) all.insert(all.end(), part.begin(), part.end());
  const EvalResult whole = evaluate_rows(logits, labels, all);
  const std::vector<EvalResult> shards = {evaluate_rows(logits, labels, first),
                                          evaluate_rows(logits, labels, second),
                                          evaluate_rows(logits, labels, third)};
  const EvalResult merged = dist::merge_evaluation_shards(shards, n, classes, {ShareLayout::disjoint, {}});
  CHECK(merged.n == n);
  CHECK(merged.loss == Approx(whole.loss).epsilon(1e-6));
  CHECK(merged.top1 == Approx(whole.top1));
  CHECK(merged.labels == whole.labels);
  CHECK(merged.confusion.counts == whole.confusion.counts);
  // Samples left out as unreadable are in no shard: fewer rows than the split is fine, more is not.
  CHECK(dist::merge_evaluation_shards(shards, n + 2, classes, {ShareLayout::disjoint, {}}).n == n);
  CHECK_THROWS_WITH(dist::merge_evaluation_shards(shards, n - 1, classes, {ShareLayout::disjoint, {}}),
                    Catch::Contains("more than"));
  // The same unequal shards are an error for the sampler's interleaved shares.
  CHECK_THROWS_WITH(dist::merge_evaluation_shards(shards, n, classes), Catch::Contains("do not fit together"));
}
