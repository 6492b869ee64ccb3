// The images softvit eval --explain N and softvit predict --explain explain, with what their
// PNGs say about them (label, decision and probability as scored) and their file names.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "eval/evaluate.h"
#include "eval/explain/explain_pass.h"
#include "eval/predict.h"

namespace softvit {

// eval: the images of choose_images_to_explain (eval/explain/selection.h), per_group per class and
// group; the class explained is `forced` when given, else the predicted (argmax) class. File
// names: NNN_<group>_label-<class>_pred-<class>. Throws Error for a multi-label result.
std::vector<ExplainTarget> evaluation_targets(const EvalResult& result,
                                              const std::vector<std::string>& classes, int64_t per_group,
                                              std::optional<int64_t> forced);

// predict: the first `limit` images in input order; the class explained is `forced` when given,
// else the decided class (the threshold's for a binary decision). File names: NNN_<image file name>.
std::vector<ExplainTarget> prediction_targets(const PredictionTable& table, const Decision& decision,
                                              int64_t limit, std::optional<int64_t> forced);

// The class --class names (a class name, else an index); throws ConfigError naming the classes.
int64_t explained_class_index(const std::string& value, const std::vector<std::string>& classes);

// The class that `decision` calls for row `row` of `table` (single-label only).
int64_t decided_class(const PredictionTable& table, const Decision& decision, int64_t row);

}  // namespace softvit
