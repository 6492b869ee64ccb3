// evaluate() of several models in one pass over the loader (the trainer's weights and EMA).
#include "catch.h"
#include "eval/evaluate.h"
#include "eval_fixtures.h"

using namespace softvit;
using softvit::testing::PositionalModel;
using softvit::testing::TensorBatches;

TEST_CASE("evaluate: several models in one pass each get their own result, from one read of the split",
          "[eval]") {
  torch::manual_seed(0);
  PositionalModel first(/*pixels=*/1 * 4 * 5, /*classes=*/3), second(1 * 4 * 5, 3);
  {
    torch::NoGradGuard no_grad;
    second.weight.mul_(-2.0).add_(0.5);  // a different model: different scores
  }
  TensorBatches loader;
  for (int i = 0; i < 3; ++i)
    loader.batches.push_back(
        {torch::randn({4, 1, 4, 5}), torch::tensor({0, 1, 2, 1}, torch::kInt64), {}, {}});
  second.train();  // evaluate() puts models in eval mode and gives them back as they were
  first.eval();

  const EvalResult alone_first = evaluate(first, loader, torch::kCPU);
  const EvalResult alone_second = evaluate(second, loader, torch::kCPU);
  loader.handed_out = 0;
  int64_t counted = 0;
  EvalOptions options;
  options.on_batch = [&](int64_t images) { counted += images; };
  const auto both = evaluate({&first, &second}, loader, torch::kCPU, options);

  CHECK(loader.handed_out == 3);  // each batch read once for both models
  CHECK(counted == 12);
  REQUIRE(both.size() == 2);
  const EvalResult* alone[] = {&alone_first, &alone_second};
  for (size_t m = 0; m < 2; ++m) {
    CHECK(both[m].n == 12);
    CHECK(both[m].loss == Approx(alone[m]->loss).epsilon(1e-12));
    CHECK(both[m].top1 == alone[m]->top1);
    CHECK(both[m].probabilities.values == alone[m]->probabilities.values);
    CHECK(both[m].labels == alone[m]->labels);
  }
  CHECK(both[0].probabilities.values != both[1].probabilities.values);
  CHECK(second.is_training());
  CHECK(!first.is_training());
}
