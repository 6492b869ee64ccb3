// Confusion-matrix metrics against hand-computed values (scikit-learn conventions).
#include "catch.h"
#include "eval/metrics_confusion.h"
#include "eval/metrics_topk.h"

using namespace softvit;

TEST_CASE("confusion: precision recall and F1 per class and macro by hand", "[eval][metrics]") {
  const std::vector<int64_t> truth = {0, 0, 0, 0, 0, 0, 1, 1, 2, 2};
  const std::vector<int64_t> predicted = {0, 0, 0, 0, 0, 1, 1, 0, 2, 1};
  const ConfusionMatrix m = confusion_matrix(truth, predicted, 3);
  CHECK(m.at(0, 0) == 5);
  CHECK(m.at(0, 1) == 1);
  CHECK(m.at(1, 0) == 1);
  CHECK(m.at(2, 1) == 1);
  CHECK(m.total() == 10);
  const auto s = per_class_scores(m);
  // class 0: tp 5, fp 1, fn 1; class 1: tp 1, fp 2, fn 1; class 2: tp 1, fp 0, fn 1.
  CHECK(*s[0].precision == Approx(5.0 / 6));
  CHECK(*s[0].recall == Approx(5.0 / 6));
  CHECK(*s[0].f1 == Approx(5.0 / 6));
  CHECK(*s[1].precision == Approx(1.0 / 3));
  CHECK(*s[1].recall == Approx(0.5));
  CHECK(*s[1].f1 == Approx(0.4));
  CHECK(*s[2].precision == Approx(1.0));
  CHECK(*s[2].recall == Approx(0.5));
  CHECK(*s[2].f1 == Approx(2.0 / 3));
  CHECK(s[0].support == 6);
  const MacroScores macro = macro_scores(m);
  CHECK(macro.precision == Approx(13.0 / 18));
  CHECK(macro.recall == Approx(11.0 / 18));
  CHECK(macro.f1 == Approx((5.0 / 6 + 0.4 + 2.0 / 3) / 3));
  CHECK(accuracy(m) == Approx(0.7));
  CHECK(*balanced_accuracy(m) == Approx(11.0 / 18));
}

TEST_CASE("confusion: balanced accuracy sees through an imbalanced split", "[eval][metrics]") {
  // 90 of class 0, 10 of class 1. A classifier that finds 4 of the 10 and wrongly flags 9 of
  // the 90: accuracy 85/100, recalls 81/90 and 4/10.
  std::vector<int64_t> truth(100, 0), predicted(100, 0);
  for (int i = 90; i < 100; ++i) truth[i] = 1;
  for (int i = 90; i < 94; ++i) predicted[i] = 1;
  for (int i = 0; i < 9; ++i) predicted[i] = 1;
  const ConfusionMatrix m = confusion_matrix(truth, predicted, 2);
  CHECK(accuracy(m) == Approx(0.85));
  CHECK(*balanced_accuracy(m) == Approx((81.0 / 90 + 0.4) / 2));
  // One that always says 0: accuracy 0.9, mean recall (1 + 0) / 2.
  const ConfusionMatrix all_zero = confusion_matrix(truth, std::vector<int64_t>(100, 0), 2);
  CHECK(accuracy(all_zero) == Approx(0.9));
  CHECK(*balanced_accuracy(all_zero) == Approx(0.5));
}

TEST_CASE("confusion: a class absent from the split has undefined recall", "[eval][metrics]") {
  // Class 2 neither occurs nor is predicted; class 3 is predicted once but never occurs.
  const ConfusionMatrix m = confusion_matrix({0, 0, 1, 1}, {0, 3, 1, 1}, 4);
  const auto s = per_class_scores(m);
  CHECK_FALSE(s[2].precision.has_value());
  CHECK_FALSE(s[2].recall.has_value());
  CHECK_FALSE(s[2].f1.has_value());
  CHECK(*s[3].precision == 0);
  CHECK_FALSE(s[3].recall.has_value());
  CHECK(*s[3].f1 == 0);
  // Balanced accuracy: classes 0 and 1 only: (1/2 + 1) / 2.
  CHECK(*balanced_accuracy(m) == Approx(0.75));
  // Macro over the classes present or predicted (0, 1, 3), undefined counting as 0:
  // precision (1 + 1 + 0) / 3, recall (0.5 + 1 + 0) / 3, F1 (2/3 + 1 + 0) / 3.
  const MacroScores macro = macro_scores(m);
  CHECK(macro.precision == Approx(2.0 / 3));
  CHECK(macro.recall == Approx(0.5));
  CHECK(macro.f1 == Approx((2.0 / 3 + 1.0) / 3));
  CHECK_FALSE(balanced_accuracy(confusion_matrix({}, {}, 3)).has_value());
  CHECK_THROWS(confusion_matrix({0, 5}, {0, 1}, 3));
}

TEST_CASE("confusion: weights count samples that many times", "[eval][metrics]") {
  const ConfusionMatrix m = confusion_matrix({0, 1, 1}, {0, 0, 1}, 2, {2, 0, 3});
  CHECK(m.at(0, 0) == 2);
  CHECK(m.at(1, 0) == 0);
  CHECK(m.at(1, 1) == 3);
  CHECK(accuracy(m) == 1.0);
}

TEST_CASE("top-k: ranks break ties toward the lower class like argmax", "[eval][metrics]") {
  const ScoreMatrix p = ScoreMatrix::from_rows({{0.5, 0.5, 0.0}, {0.5, 0.5, 0.0}, {0.2, 0.3, 0.5}});
  const std::vector<int64_t> labels = {0, 1, 0};
  CHECK(true_class_ranks(p, labels) == std::vector<int64_t>{0, 1, 2});
  CHECK(argmax_rows(p) == std::vector<int64_t>{0, 0, 2});
  CHECK(top_k_accuracy(p, labels, 1) == Approx(1.0 / 3));
  CHECK(top_k_accuracy(p, labels, 2) == Approx(2.0 / 3));
  CHECK(top_k_accuracy(p, labels, 3) == Approx(1.0));
}
