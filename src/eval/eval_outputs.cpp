#include "eval/eval_outputs.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/strings.h"
#include "eval/plot_canvas.h"
#include "eval/plots.h"

namespace softvit {
namespace fs = std::filesystem;
std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

namespace {

void append_number(std::string& line, double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, ",%.9g", v);
  line += buffer;
}

}  // namespace

EvalOutputPaths eval_output_paths(const std::string& output_file, const std::string& output_dir) {
  if (output_file.empty() == output_dir.empty())
    throw Error("eval outputs: give either an output file or an output folder");
  if (!output_dir.empty()) {
    const fs::path d(output_dir);
    return {(d / "metrics.json").string(), (d / "predictions.csv").string(),
            (d / "confusion_matrix.png").string(), (d / "roc_curves.png").string(),
            (d / "confusion_matrix_normalised.png").string()};
  }
  const fs::path f(output_file);
  const fs::path stem = f.parent_path() / f.stem();
  return {f.string(), stem.string() + "_predictions.csv", stem.string() + "_confusion_matrix.png",
          stem.string() + "_roc_curves.png", stem.string() + "_confusion_matrix_normalised.png"};
}

// "deit_tiny on test, n = 156" for the figures' titles, from what the JSON records.
std::string figure_subject(const nlohmann::json& json, int64_t n) {
  std::string subject;
  if (json.contains("model") && json["model"].is_string())
    subject += json["model"].get<std::string>() + " on ";
  if (json.contains("split") && json["split"].is_string()) subject += json["split"].get<std::string>() + ", ";
  return subject + cat("n = ", n);
}

void write_predictions_csv(const std::string& path, const EvalResult& r,
                           const std::vector<std::string>& names) {
  const int64_t k = r.probabilities.cols;
  if (static_cast<int64_t>(names.size()) != k)
    throw Error(cat("predictions CSV '", path, "': ", names.size(), " class names for ", k, " columns"));
  // Streamed through a temporary file: the CSV of a large split does not fit in one string.
  const std::string temporary = path + ".tmp";
  std::ofstream out(temporary, std::ios::binary);
  if (!out) throw Error(cat("cannot write '", temporary, "'"));
  std::string line = "index,image";
  if (r.multi_label)
    for (const auto& n : names) line += "," + csv_field("y_" + n);
  else
    line += ",label,predicted";
  for (const auto& n : names) line += "," + csv_field("p_" + n);
  out << line << "\n";
  const std::vector<int64_t> predicted =
      r.multi_label ? std::vector<int64_t>{} : argmax_rows(r.probabilities);
  for (int64_t i = 0; i < r.n; ++i) {
    line = std::to_string(i) + "," +
           (r.names.empty() ? std::string() : csv_field(r.names[static_cast<size_t>(i)]));
    if (r.multi_label)
      for (int64_t l = 0; l < k; ++l) line += r.targets(i, l) >= 0.5f ? ",1" : ",0";
    else
      line += cat(",", r.labels[i], ",", predicted[i]);
    for (int64_t c = 0; c < k; ++c) append_number(line, r.probabilities(i, c));
    out << line << "\n";
  }
  out.close();
  if (!out) throw Error(cat("cannot write '", temporary, "' (disk full?)"));
  fs::rename(temporary, path);
}

void write_eval_outputs(const EvalOutputPaths& paths, nlohmann::json json, const EvalResult& result,
                        const std::vector<std::string>& names) {
  if (!result.metrics) throw Error("eval outputs: the evaluation ran without the full metric set");
  for (const std::string& p :
       {paths.json, paths.predictions, paths.confusion_png, paths.roc_png, paths.confusion_normalised_png}) {
    const fs::path parent = fs::path(p).parent_path();
    if (!parent.empty()) fs::create_directories(parent);
  }
  write_predictions_csv(paths.predictions, result, names);
  json["files"] = {{"predictions", paths.predictions}, {"roc_curves", paths.roc_png}};
  const std::string subject = figure_subject(json, result.n);
  if (!result.multi_label) {
    plot::write_png(paths.confusion_png,
                    draw_confusion_matrix(result.confusion, names, "Confusion matrix\n" + subject));
    plot::write_png(
        paths.confusion_normalised_png,
        draw_confusion_matrix_normalised(result.confusion, names,
                                         "Confusion matrix, fraction of each true class\n" + subject));
    json["files"]["confusion_matrix"] = paths.confusion_png;
    json["files"]["confusion_matrix_normalised"] = paths.confusion_normalised_png;
  }
  const std::string title = result.multi_label  ? "ROC curves per label"
                            : names.size() == 2 ? cat("ROC curve, positive class '",
                                                      names[result.metrics->options.positive_class], "'")
                                                : "ROC curves, one class vs the rest";
  plot::write_png(paths.roc_png, draw_roc_curves(*result.metrics, title + "\n" + subject));
  write_file_atomic(paths.json, json.dump(2) + "\n");
}

}  // namespace softvit
