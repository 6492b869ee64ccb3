#include "eval/explain/targets.h"

#include <filesystem>

#include "core/error.h"
#include "core/strings.h"
#include "eval/explain/selection.h"
#include "eval/positive_class.h"

namespace softvit {
namespace {

std::string number(size_t i) {
  std::string text = cat(i);
  return std::string(text.size() < 3 ? 3 - text.size() : 0, '0') + text;
}

}  // namespace

int64_t explained_class_index(const std::string& value, const std::vector<std::string>& classes) {
  try {
    return positive_class_index(value, classes);  // the same reading of a name or an index
  } catch (const ConfigError&) {
    std::vector<std::string> listed;
    for (size_t c = 0; c < classes.size(); ++c) listed.push_back(cat(c, " '", classes[c], "'"));
    throw ConfigError(
        cat("--class '", value,
            "' is neither a class name nor an index of this model's classes: ", join(listed, ", ")));
  }
}

std::vector<ExplainTarget> evaluation_targets(const EvalResult& result,
                                              const std::vector<std::string>& classes, int64_t per_group,
                                              std::optional<int64_t> forced) {
  if (result.multi_label) throw Error("--explain needs a single-label model; this one is multi-label");
  const auto name_of = [&](int64_t c) {
    return c < static_cast<int64_t>(classes.size()) ? classes[static_cast<size_t>(c)] : cat(c);
  };
  std::vector<ExplainTarget> out;
  for (const ExplainChoice& choice :
       choose_images_to_explain(result.probabilities, result.labels, per_group)) {
    ExplainTarget t;
    t.row = choice.row;
    if (static_cast<size_t>(choice.row) < result.names.size())
      t.name = result.names[static_cast<size_t>(choice.row)];
    t.group = choice.group;
    t.label = choice.label;
    t.predicted = choice.predicted;
    t.probability = result.probabilities(choice.row, choice.predicted);
    t.explained = forced.value_or(choice.predicted);
    t.explained_probability = result.probabilities(choice.row, t.explained);
    t.file_stem =
        cat(number(out.size()), "_", choice.group, "_label-", file_name_part(name_of(choice.label), 24),
            "_pred-", file_name_part(name_of(choice.predicted), 24));
    out.push_back(t);
  }
  return out;
}

int64_t decided_class(const PredictionTable& table, const Decision& decision, int64_t row) {
  const float* p = table.probabilities.row(row);
  if (decision.positive_class >= 0)
    return p[decision.positive_class] >= decision.threshold ? decision.positive_class
                                                            : 1 - decision.positive_class;
  int64_t best = 0;
  for (int64_t c = 1; c < table.probabilities.cols; ++c)
    if (p[c] > p[best]) best = c;
  return best;
}

std::vector<ExplainTarget> prediction_targets(const PredictionTable& table, const Decision& decision,
                                              int64_t limit, std::optional<int64_t> forced) {
  if (decision.multi_label) throw Error("--explain needs a single-label model; this one is multi-label");
  std::vector<ExplainTarget> out;
  for (int64_t r = 0; r < std::min(limit, table.probabilities.rows); ++r) {
    ExplainTarget t;
    t.row = r;
    if (static_cast<size_t>(r) < table.names.size()) t.name = table.names[static_cast<size_t>(r)];
    t.predicted = decided_class(table, decision, r);
    t.probability = table.probabilities(r, t.predicted);
    t.explained = forced.value_or(t.predicted);
    t.explained_probability = table.probabilities(r, t.explained);
    t.file_stem = cat(number(static_cast<size_t>(r)), "_",
                      file_name_part(std::filesystem::path(t.name).filename().string(), 60));
    out.push_back(t);
  }
  return out;
}

}  // namespace softvit
