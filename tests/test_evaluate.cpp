#include "catch.h"
#include "eval/evaluate.h"

using namespace softvit;

TEST_CASE("evaluate: top-1 and top-5 and loss and confusion on a hand-made batch", "[eval]") {
  // 3 samples, 6 classes. Sample 0: right. Sample 1: true class ranked 2nd. Sample 2: ranked last.
  auto logits = torch::tensor(
      {{5.0, 1.0, 0.0, 0.0, 0.0, 0.0}, {3.0, 2.0, 1.0, 0.0, 0.0, 0.0}, {0.0, 6.0, 5.0, 4.0, 3.0, 2.0}});
  auto labels = torch::tensor({0, 1, 0}, torch::kInt64);
  EvalAccumulator acc(6);
  acc.add(logits.slice(0, 0, 2), labels.slice(0, 0, 2));
  acc.add(logits.slice(0, 2), labels.slice(0, 2));
  const EvalResult r = acc.result();
  CHECK(r.n == 3);
  CHECK(r.top1 == Approx(1.0 / 3));
  CHECK(r.top5 == Approx(2.0 / 3));
  double expected_loss = 0;
  for (int i = 0; i < 3; ++i) {
    auto row = logits[i];
    expected_loss += (row.exp().sum().log() - row[labels[i].item<int64_t>()]).item<double>();
  }
  CHECK(r.loss == Approx(expected_loss / 3));
  CHECK(r.confusion.at(0, 0) == 1);
  CHECK(r.confusion.at(1, 0) == 1);
  CHECK(r.confusion.at(0, 1) == 1);
  CHECK(r.confusion.total() == 3);
}

TEST_CASE("evaluate: with fewer than five classes top-5 means top-k for all of them", "[eval]") {
  EvalAccumulator acc(2);
  acc.add(torch::tensor({{1.0, 0.0}, {1.0, 0.0}}), torch::tensor({0, 1}, torch::kInt64));
  const EvalResult r = acc.result();
  CHECK(r.top5_k == 2);
  CHECK(r.top1 == Approx(0.5));
  CHECK(r.top5 == Approx(1.0));
}

TEST_CASE("evaluate: keeps per-image probabilities and the full metric set on request", "[eval]") {
  auto logits = torch::tensor({{2.0, 0.0, 0.0}, {0.0, 1.0, 0.0}, {0.0, 0.0, 3.0}, {1.0, 0.0, 0.0}});
  auto labels = torch::tensor({0, 1, 2, 1}, torch::kInt64);
  EvalAccumulator acc(3);
  acc.add(logits, labels);
  EvalOptions options;
  options.full_metrics = true;
  options.metrics.bootstrap = 10;
  const EvalResult r = acc.result(options);
  REQUIRE(r.probabilities.rows == 4);
  REQUIRE(r.probabilities.cols == 3);
  const auto softmax = torch::softmax(logits, 1);
  for (int64_t i = 0; i < 4; ++i)
    for (int64_t c = 0; c < 3; ++c) CHECK(r.probabilities(i, c) == Approx(softmax[i][c].item<double>()));
  CHECK(r.labels == std::vector<int64_t>{0, 1, 2, 1});
  REQUIRE(r.metrics.has_value());
  CHECK(r.metrics->top1 == Approx(0.75));
  CHECK(r.metrics->n == 4);
  CHECK_FALSE(acc.result().metrics.has_value());  // not asked for
}

TEST_CASE("evaluate: multi-label targets give sigmoid probabilities and binary cross-entropy", "[eval]") {
  auto logits = torch::tensor({{2.0, -1.0}, {-0.5, 0.5}, {0.0, 3.0}});
  auto targets = torch::tensor({{1, 0}, {0, 0}, {1, 1}}, torch::kUInt8);
  EvalAccumulator acc(2);
  acc.add(logits.slice(0, 0, 2), targets.slice(0, 0, 2));
  acc.add(logits.slice(0, 2), targets.slice(0, 2));
  EvalOptions options;
  options.full_metrics = true;
  options.metrics.bootstrap = 0;
  const EvalResult r = acc.result(options);
  CHECK(r.multi_label);
  double expected = 0;  // -[y log s(x) + (1 - y) log(1 - s(x))], averaged over the 6 entries
  for (int i = 0; i < 3; ++i)
    for (int l = 0; l < 2; ++l) {
      const double x = logits[i][l].item<double>(), y = targets[i][l].item<double>();
      const double s = 1 / (1 + std::exp(-x));
      expected -= y * std::log(s) + (1 - y) * std::log(1 - s);
      CHECK(r.probabilities(i, l) == Approx(s));
    }
  CHECK(r.loss == Approx(expected / 6));
  // Sigmoids at the 0.5 threshold call (1,0), (0,1), (1,1): 5 of the 6 labels right.
  CHECK(r.top1 == Approx(5.0 / 6));
  REQUIRE(r.metrics.has_value());
  CHECK(r.metrics->multi_label);
  CHECK(*r.metrics->per_class[0].auc == 1.0);  // positives 2.0 and 0.0 above the negative -0.5
  CHECK_THROWS(acc.add(logits, torch::tensor({0, 1, 1}, torch::kInt64)));                 // mixed kinds
  CHECK_THROWS(EvalAccumulator(3).add(logits, torch::tensor({0, 1, 1}, torch::kInt64)));  // wrong width
}

TEST_CASE("evaluate: macro AUROC from the kept probabilities", "[eval][auroc]") {
  // Binary: positive-class scores 0.9 0.8 0.3 for labels 1 0 1 and 0.2 for a 0: of the 2 x 2
  // (positive, negative) pairs, the positive ranks higher in 3: AUC 0.75, also for class 0's column.
  EvalAccumulator binary(2);
  const auto p1 = torch::tensor({0.9, 0.8, 0.3, 0.2});
  binary.add(torch::stack({(1 - p1).log(), p1.log()}, 1), torch::tensor({1, 0, 1, 0}, torch::kInt64));
  CHECK(macro_auroc(binary.result()).value() == Approx(0.75));

  // Three classes: class 2 never occurs, so its AUC is undefined and left out of the mean; the
  // scores separate classes 0 and 1 perfectly.
  EvalAccumulator three(3);
  three.add(torch::tensor({{3.0, 0.0, 0.0}, {0.0, 3.0, 0.0}, {2.0, 0.0, 1.0}}),
            torch::tensor({0, 1, 0}, torch::kInt64));
  CHECK(macro_auroc(three.result()).value() == Approx(1.0));

  EvalAccumulator one_class(2);
  one_class.add(torch::tensor({{1.0, 0.0}, {0.0, 1.0}}), torch::tensor({0, 0}, torch::kInt64));
  CHECK_FALSE(macro_auroc(one_class.result()).has_value());
}
