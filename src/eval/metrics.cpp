#include "eval/metrics.h"

#include <algorithm>

#include "core/error.h"
#include "core/strings.h"
#include "eval/metrics_topk.h"

namespace softvit {
namespace {

std::vector<std::string> names_for(const std::vector<std::string>& names, int64_t count, const char* what) {
  if (static_cast<int64_t>(names.size()) == count) return names;
  if (!names.empty()) throw Error(cat(names.size(), " ", what, " names for ", count, " score columns"));
  std::vector<std::string> out;
  for (int64_t i = 0; i < count; ++i) out.push_back(std::to_string(i));
  return out;
}

std::optional<double> weighted_mean(const std::vector<double>& values, const std::vector<double>& weights) {
  double sum = 0, total = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    sum += weights[i] * values[i];
    total += weights[i];
  }
  if (total <= 0) return std::nullopt;
  return sum / total;
}

// Mean recall over the classes present, with per-sample weights; O(n + classes), unlike building a
// weighted confusion matrix, which matters for 1000 resamples of a 1000-class split.
std::optional<double> weighted_balanced_accuracy(const std::vector<int64_t>& labels,
                                                 const std::vector<uint8_t>& hits, int64_t classes,
                                                 const std::vector<double>& weights) {
  std::vector<double> support(classes, 0.0), correct(classes, 0.0);
  for (size_t i = 0; i < labels.size(); ++i) {
    support[labels[i]] += weights[i];
    correct[labels[i]] += weights[i] * hits[i];
  }
  std::vector<std::optional<double>> recalls;
  for (int64_t c = 0; c < classes; ++c)
    if (support[c] > 0) recalls.push_back(correct[c] / support[c]);
  return mean_of_defined(recalls);
}

// Adds the intervals of `statistics` (name, function) to the report, or explains their absence.
void add_intervals(MetricReport& report, int64_t aucs_per_resample,
                   std::vector<std::pair<std::string, WeightedStatistic>> statistics) {
  const MetricOptions& o = report.options;
  if (o.bootstrap <= 0) return;
  const double auc_cost = static_cast<double>(o.bootstrap) * report.n * aucs_per_resample;
  if (auc_cost > o.bootstrap_auc_budget) {
    statistics.erase(std::remove_if(statistics.begin(), statistics.end(),
                                    [](const auto& s) { return s.first == "auroc_macro"; }),
                     statistics.end());
    report.warnings.push_back(cat("no bootstrap interval for auroc_macro: ", o.bootstrap, " resamples x ",
                                  report.n, " samples x ", aucs_per_resample, " AUCs exceed the budget of ",
                                  o.bootstrap_auc_budget, " steps; lower eval.bootstrap"));
  }
  std::vector<WeightedStatistic> functions;
  for (const auto& s : statistics) functions.push_back(s.second);
  const auto intervals = bootstrap_intervals(report.n, functions, {o.bootstrap, o.bootstrap_seed, 0.95});
  for (size_t i = 0; i < statistics.size(); ++i) {
    report.ci.push_back({statistics[i].first, intervals[i]});
    if (!intervals[i])
      report.warnings.push_back(cat("no bootstrap interval for ", statistics[i].first,
                                    ": it is undefined on (almost) every resample"));
  }
}

}  // namespace

MetricReport classification_metrics(const ScoreMatrix& probabilities, const std::vector<int64_t>& labels,
                                    const std::vector<std::string>& names_in, const MetricOptions& options) {
  check_labels(probabilities, labels, "classification metrics");
  const int64_t classes = probabilities.cols;
  const bool binary = classes == 2;
  if (binary && (options.positive_class < 0 || options.positive_class > 1))
    throw Error(
        cat("eval.positive_class is ", options.positive_class, "; a binary model has classes 0 and 1"));
  const std::vector<std::string> names = names_for(names_in, classes, "class");

  MetricReport r;
  r.options = options;
  r.n = probabilities.rows;
  const std::vector<int64_t> predicted = argmax_rows(probabilities);
  const std::vector<int64_t> ranks = true_class_ranks(probabilities, labels);
  r.top5_k = std::min<int64_t>(5, classes);
  std::vector<uint8_t> hits(r.n);
  for (int64_t i = 0; i < r.n; ++i) {
    hits[i] = ranks[i] == 0;
    r.top1 += hits[i];
    r.top5 += ranks[i] < r.top5_k;
  }
  if (r.n > 0) {
    r.top1 /= r.n;
    r.top5 /= r.n;
  }
  r.confusion = confusion_matrix(labels, predicted, classes);
  r.balanced_accuracy = balanced_accuracy(r.confusion);
  r.macro = macro_scores(r.confusion);
  r.calibration = expected_calibration_error(probabilities, labels, options.ece_bins);

  const std::vector<RankedScores> ovr = one_vs_rest(probabilities, labels);
  const std::vector<ThresholdScores> at = one_vs_rest_at_threshold(probabilities, labels, options.threshold);
  const std::vector<ClassScores> scores = per_class_scores(r.confusion);
  for (int64_t c = 0; c < classes; ++c) {
    r.per_class.push_back({names[c], scores[c], ovr[c].auc(), at[c], ovr[c].curve()});
    if (scores[c].support == 0)
      r.warnings.push_back(cat("class '", names[c],
                               "' has no samples in this split: its recall, AUC and sensitivity",
                               " are undefined (null) and left out of auroc_macro and balanced_accuracy"));
    else if (!r.per_class[c].auc)
      r.warnings.push_back(cat("every sample is of class '", names[c], "': its AUC is undefined (null)"));
  }
  if (binary) {
    r.binary = at[options.positive_class];
    r.auroc_macro = r.per_class[options.positive_class].auc;
  } else {
    std::vector<std::optional<double>> per_class_auc;
    for (const auto& c : r.per_class) per_class_auc.push_back(c.auc);
    r.auroc_macro = mean_of_defined(per_class_auc);
  }

  const std::vector<double> correct(hits.begin(), hits.end());
  std::vector<std::pair<std::string, WeightedStatistic>> statistics = {
      {"top1", [&](const std::vector<double>& w) { return weighted_mean(correct, w); }},
      {"balanced_accuracy",
       [&](const std::vector<double>& w) { return weighted_balanced_accuracy(labels, hits, classes, w); }},
      {"auroc_macro", [&](const std::vector<double>& w) -> std::optional<double> {
         if (binary) return ovr[options.positive_class].auc(w);
         return mean_of_defined(aucs(ovr, w));
       }}};
  add_intervals(r, binary ? 1 : classes, statistics);
  return r;
}

MetricReport multilabel_metrics(const ScoreMatrix& probabilities, const ScoreMatrix& targets,
                                const std::vector<std::string>& names_in, const MetricOptions& options) {
  const std::vector<RankedScores> problems = per_label(probabilities, targets);  // checks the shapes
  const int64_t labels = probabilities.cols;
  const std::vector<std::string> names = names_for(names_in, labels, "label");
  MetricReport r;
  r.multi_label = true;
  r.options = options;
  r.n = probabilities.rows;
  const std::vector<ThresholdScores> at = per_label_at_threshold(probabilities, targets, options.threshold);
  std::vector<std::optional<double>> label_aucs;
  for (int64_t l = 0; l < labels; ++l) {
    const ThresholdScores& t = at[l];
    ClassScores s;
    s.support = t.tp + t.fn;
    s.precision = t.ppv;
    s.recall = t.sensitivity;
    if (2 * t.tp + t.fp + t.fn > 0) s.f1 = 2 * t.tp / (2 * t.tp + t.fp + t.fn);
    r.per_class.push_back({names[l], s, problems[l].auc(), t, problems[l].curve()});
    label_aucs.push_back(r.per_class.back().auc);
    if (r.n > 0) r.label_accuracy += (t.tp + t.tn) / r.n / labels;
    if (!label_aucs.back())
      r.warnings.push_back(
          cat("label '", names[l], "' is ", s.support == 0 ? "absent from" : "present in",
              " every sample of this split: its AUC is undefined (null) and left out of auroc_macro"));
  }
  r.auroc_macro = mean_of_defined(label_aucs);

  // Per-sample fraction of labels called right, so that the weighted mean is the label accuracy.
  std::vector<double> right(r.n, 0.0);
  for (int64_t i = 0; i < r.n; ++i)
    for (int64_t l = 0; l < labels; ++l)
      right[i] += ((probabilities(i, l) >= options.threshold) == (targets(i, l) >= 0.5f)) /
                  static_cast<double>(labels);
  std::vector<std::pair<std::string, WeightedStatistic>> statistics = {
      {"accuracy", [&](const std::vector<double>& w) { return weighted_mean(right, w); }},
      {"auroc_macro", [&](const std::vector<double>& w) { return mean_of_defined(aucs(problems, w)); }}};
  add_intervals(r, labels, statistics);
  return r;
}

}  // namespace softvit
