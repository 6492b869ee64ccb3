// The full metric report and its JSON: binary, multi-class with an absent class, multi-label.
#include "catch.h"
#include "eval/metrics.h"

using namespace softvit;

TEST_CASE("report: binary AUROC and sensitivity follow the configured positive class", "[eval][metrics]") {
  // Scores of class 1: positives (label 1) 0.9 0.6 0.4, negatives 0.7 0.2 0.1 -> AUC 7/9.
  const ScoreMatrix p =
      ScoreMatrix::from_rows({{0.1, 0.9}, {0.4, 0.6}, {0.6, 0.4}, {0.3, 0.7}, {0.8, 0.2}, {0.9, 0.1}});
  const std::vector<int64_t> labels = {1, 1, 1, 0, 0, 0};
  MetricOptions o;
  o.bootstrap = 0;
  const MetricReport one = classification_metrics(p, labels, {"benign", "malignant"}, o);
  CHECK(*one.auroc_macro == Approx(7.0 / 9));
  REQUIRE(one.binary.has_value());
  CHECK(*one.binary->sensitivity == Approx(2.0 / 3));  // 0.9 and 0.6 called malignant
  CHECK(*one.binary->specificity == Approx(2.0 / 3));  // 0.7 wrongly called
  o.positive_class = 0;
  o.threshold = 0.65;
  const MetricReport zero = classification_metrics(p, labels, {"benign", "malignant"}, o);
  // Class 0 positive at 0.65: p0 of the benign samples 0.3 0.8 0.9 -> 2 of 3 called; of the
  // malignant 0.1 0.4 0.6 -> none.
  CHECK(*zero.binary->sensitivity == Approx(2.0 / 3));
  CHECK(*zero.binary->specificity == Approx(1.0));
  CHECK(*zero.auroc_macro == Approx(7.0 / 9));  // complementary scores rank the same way
  o.positive_class = 2;
  CHECK_THROWS_WITH(classification_metrics(p, labels, {}, o), Catch::Contains("eval.positive_class"));
}

TEST_CASE("report: a class absent from the split is null and warned about and left out", "[eval][metrics]") {
  const ScoreMatrix p =
      ScoreMatrix::from_rows({{0.7, 0.2, 0.1}, {0.5, 0.4, 0.1}, {0.2, 0.6, 0.2}, {0.5, 0.3, 0.2}});
  const std::vector<int64_t> labels = {0, 0, 1, 1};
  MetricOptions o;
  o.bootstrap = 50;
  const MetricReport r = classification_metrics(p, labels, {"cat", "dog", "bird"}, o);
  CHECK_FALSE(r.per_class[2].auc.has_value());
  CHECK(*r.auroc_macro == Approx((3.5 / 4 + 3.0 / 4) / 2));  // as in the one-vs-rest test
  CHECK(*r.balanced_accuracy == Approx((1.0 + 0.5) / 2));    // sample 3 predicted as class 0
  REQUIRE(r.warnings.size() == 1);
  CHECK(r.warnings[0].find("'bird'") != std::string::npos);

  const nlohmann::json j = to_json(r);
  for (const char* key : {"n", "top1", "top5", "auroc_macro", "balanced_accuracy", "per_class", "ece",
                          "confusion_matrix", "ci95", "macro", "warnings", "calibration_bins"})
    CHECK(j.contains(key));
  CHECK(j["per_class"][2]["name"] == "bird");
  CHECK(j["per_class"][2]["auc"].is_null());
  CHECK(j["per_class"][2]["recall"].is_null());
  CHECK(j["per_class"][2]["support"] == 0);
  CHECK(j["per_class"][0]["auc"].get<double>() == Approx(3.5 / 4));
  for (const char* key : {"precision", "recall", "f1", "support", "sensitivity", "specificity"})
    CHECK(j["per_class"][0].contains(key));
  CHECK(j["confusion_matrix"] == nlohmann::json::parse("[[2,0,0],[1,1,0],[0,0,0]]"));
  CHECK(j["ci95"]["resamples"] == 50);
  CHECK(j["ci95"].contains("top1"));
  CHECK_FALSE(j.contains("binary"));
}

TEST_CASE("report: multi-label accuracy and per-label AUC", "[eval][metrics]") {
  const ScoreMatrix scores =
      ScoreMatrix::from_rows({{0.9, 0.8, 0.1}, {0.4, 0.7, 0.2}, {0.3, 0.7, 0.3}, {0.1, 0.6, 0.4}});
  const ScoreMatrix targets = ScoreMatrix::from_rows({{1, 1, 0}, {0, 0, 0}, {1, 1, 0}, {0, 1, 0}});
  MetricOptions o;
  o.bootstrap = 20;
  const MetricReport r = multilabel_metrics(scores, targets, {"a", "b", "c"}, o);
  CHECK(r.multi_label);
  // At 0.5: label a right on samples 0 1 3 (3/4); b on 0 2 3 (sample 1 called wrongly): 3/4; c: 4/4.
  CHECK(r.label_accuracy == Approx((0.75 + 0.75 + 1.0) / 3));
  CHECK(*r.auroc_macro == Approx((0.75 + 0.5) / 2));
  CHECK(r.per_class[1].scores.support == 3);
  REQUIRE(r.warnings.size() == 1);
  CHECK(r.warnings[0].find("'c'") != std::string::npos);
  const nlohmann::json j = to_json(r);
  CHECK(j.contains("per_label"));
  CHECK(j["per_label"][2]["auc"].is_null());
  CHECK(j["accuracy"].get<double>() == Approx(r.label_accuracy));
  CHECK(j["ci95"].contains("auroc_macro"));
}
