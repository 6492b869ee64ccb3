// The files softvit eval writes for one evaluated split:
//   metrics JSON, per-image predictions CSV, confusion-matrix PNGs (single-label: counts, and
//   normalised by row), ROC-curves PNG.
// Names: with an output folder D, D/metrics.json, D/predictions.csv, D/confusion_matrix.png,
// D/confusion_matrix_normalised.png and D/roc_curves.png; with an output file F.json, F.json and
// beside it F_predictions.csv, F_confusion_matrix.png, F_confusion_matrix_normalised.png and
// F_roc_curves.png.
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "eval/evaluate.h"

namespace softvit {

struct EvalOutputPaths {
  std::string json, predictions, confusion_png, roc_png, confusion_normalised_png;
};

// `text` as one CSV field: quoted (quotes doubled) when it holds a comma, quote or newline.
std::string csv_field(const std::string& text);

// Exactly one of `output_file` and `output_dir` is non-empty; throws Error otherwise.
EvalOutputPaths eval_output_paths(const std::string& output_file, const std::string& output_dir);

// One row per image: index, image (its identifier: file path, or file.npz:split[i] for arrays;
// empty when the result has none), label, predicted, then one probability column per class
// (p_<name>). Multi-label: index, image, one 0/1 column per label (y_<name>), then the probabilities.
void write_predictions_csv(const std::string& path, const EvalResult& result,
                           const std::vector<std::string>& names);

// "deit_tiny on test, n = 156": what the figures' titles name, from json's "model" and "split".
std::string figure_subject(const nlohmann::json& json, int64_t n);

// Writes every file of `paths` (creating folders), adding their names to `json` under "files".
// `result.metrics` must be set (EvalOptions::full_metrics). The PNG titles name json's "model"
// and "split" (when set) and the number of images.
void write_eval_outputs(const EvalOutputPaths& paths, nlohmann::json json, const EvalResult& result,
                        const std::vector<std::string>& names);

}  // namespace softvit
