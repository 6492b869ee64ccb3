// to_json for MetricReport (declared in metrics.h): the layout softvit eval writes.
#include <cmath>

#include "eval/metrics.h"

namespace softvit {
namespace {

nlohmann::json value(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

nlohmann::json threshold_json(const ThresholdScores& t) {
  return {{"tp", std::llround(t.tp)},
          {"fp", std::llround(t.fp)},
          {"tn", std::llround(t.tn)},
          {"fn", std::llround(t.fn)},
          {"sensitivity", value(t.sensitivity)},
          {"specificity", value(t.specificity)},
          {"ppv", value(t.ppv)},
          {"npv", value(t.npv)}};
}

nlohmann::json class_json(const ClassReport& c) {
  return {{"name", c.name},
          {"precision", value(c.scores.precision)},
          {"recall", value(c.scores.recall)},
          {"f1", value(c.scores.f1)},
          {"support", std::llround(c.scores.support)},
          {"auc", value(c.auc)},
          {"sensitivity", value(c.at_threshold.sensitivity)},
          {"specificity", value(c.at_threshold.specificity)},
          {"ppv", value(c.at_threshold.ppv)},
          {"npv", value(c.at_threshold.npv)}};
}

}  // namespace

nlohmann::json to_json(const MetricReport& r) {
  nlohmann::json out = {{"n", r.n},
                        {"multi_label", r.multi_label},
                        {"auroc_macro", value(r.auroc_macro)},
                        {"threshold", r.options.threshold}};
  nlohmann::json classes = nlohmann::json::array();
  for (const auto& c : r.per_class) classes.push_back(class_json(c));
  if (r.multi_label) {
    out["accuracy"] = r.label_accuracy;
    out["per_label"] = classes;
  } else {
    out["top1"] = r.top1;
    out["top5"] = r.top5;
    out["top5_k"] = r.top5_k;
    out["balanced_accuracy"] = value(r.balanced_accuracy);
    out["macro"] = {{"precision", r.macro.precision}, {"recall", r.macro.recall}, {"f1", r.macro.f1}};
    out["per_class"] = classes;
    if (r.binary) {
      out["binary"] = threshold_json(*r.binary);
      out["binary"]["positive_class"] = r.options.positive_class;
      out["binary"]["threshold"] = r.options.threshold;
    }
    out["ece"] = r.calibration.ece;
    nlohmann::json bins = nlohmann::json::array();
    for (const auto& b : r.calibration.bins)
      bins.push_back({{"low", b.low},
                      {"high", b.high},
                      {"count", b.count},
                      {"accuracy", b.accuracy},
                      {"confidence", b.confidence}});
    out["calibration_bins"] = bins;
    nlohmann::json matrix = nlohmann::json::array();
    for (int64_t t = 0; t < r.confusion.classes; ++t) {
      std::vector<int64_t> row;
      for (int64_t p = 0; p < r.confusion.classes; ++p) row.push_back(std::llround(r.confusion.at(t, p)));
      matrix.push_back(row);
    }
    out["confusion_matrix"] = matrix;
  }
  if (r.options.bootstrap > 0) {
    nlohmann::json ci = {
        {"resamples", r.options.bootstrap}, {"seed", r.options.bootstrap_seed}, {"method", "percentile"}};
    for (const auto& [metric, interval] : r.ci)
      ci[metric] = interval ? nlohmann::json{{"low", interval->low},
                                             {"high", interval->high},
                                             {"resamples_used", interval->resamples_used}}
                            : nlohmann::json(nullptr);
    out["ci95"] = ci;
  }
  out["warnings"] = r.warnings;
  return out;
}

}  // namespace softvit
