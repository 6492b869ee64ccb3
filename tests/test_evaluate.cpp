#include "catch.h"
#include "eval/evaluate.h"

using namespace softvit;

TEST_CASE("evaluate: top-1 and top-5 and loss and confusion on a hand-made batch", "[eval]") {
  // 3 samples, 6 classes. Sample 0: right. Sample 1: true class ranked 2nd. Sample 2: ranked last.
  auto logits = torch::tensor({{5.0, 1.0, 0.0, 0.0, 0.0, 0.0},
                               {3.0, 2.0, 1.0, 0.0, 0.0, 0.0},
                               {0.0, 6.0, 5.0, 4.0, 3.0, 2.0}});
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
  CHECK(r.confusion[0][0].item<int64_t>() == 1);
  CHECK(r.confusion[1][0].item<int64_t>() == 1);
  CHECK(r.confusion[0][1].item<int64_t>() == 1);
  CHECK(r.confusion.sum().item<int64_t>() == 3);
}

TEST_CASE("evaluate: with fewer than five classes top-5 means top-k for all of them", "[eval]") {
  EvalAccumulator acc(2);
  acc.add(torch::tensor({{1.0, 0.0}, {1.0, 0.0}}), torch::tensor({0, 1}, torch::kInt64));
  const EvalResult r = acc.result();
  CHECK(r.top5_k == 2);
  CHECK(r.top1 == Approx(0.5));
  CHECK(r.top5 == Approx(1.0));
}
