// Training curves of a run folder (declared in plots.h): summary.csv in, curves.png out.
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include "core/error.h"
#include "core/strings.h"
#include "data/sources/csv_parse.h"
#include "eval/line_chart.h"
#include "eval/plot_canvas.h"
#include "eval/plots.h"
#include "log/log.h"

namespace softvit {
namespace fs = std::filesystem;

namespace {

bool has_finite(const std::vector<double>& values) {
  return std::any_of(values.begin(), values.end(), [](double v) { return std::isfinite(v); });
}

std::string score_label(const std::string& score) {
  if (score == "top1") return "top-1";
  if (score == "top5") return "top-5";
  if (score == "auroc") return "AUROC";
  if (score == "balanced_accuracy") return "balanced accuracy";
  return score;
}

}  // namespace

TrainingHistory read_training_history(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(cat("cannot read the training summary '", path, "'"));
  const std::string contents((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::vector<CsvRow> rows = parse_csv(contents);  // the CSV reader of the csv source
  if (rows.empty()) throw DataError(cat("'", path, "' is empty; expected a header line"));
  const std::vector<std::string>& header = rows[0].fields;
  std::map<std::string, size_t> column;
  for (size_t i = 0; i < header.size(); ++i) column[header[i]] = i;
  for (const char* required : {"epoch", "train_loss", "val_loss", "lr"})
    if (!column.count(required)) throw DataError(cat("'", path, "' has no column '", required, "'"));

  TrainingHistory h;
  std::vector<std::string> score_names;
  for (const char* name :
       {"val_top1", "val_top5", "val_auroc", "val_balanced_accuracy", "ema_val_top1", "ema_val_auroc"})
    if (column.count(name)) {
      score_names.push_back(name);
      h.val_scores.push_back({name, {}});
    }
  const bool has_ema_loss = column.count("ema_val_loss") > 0;
  for (size_t r = 1; r < rows.size(); ++r) {
    const std::vector<std::string>& fields = rows[r].fields;
    const int line_number = rows[r].line;
    if (fields.size() != header.size())
      throw DataError(cat("'", path, "' line ", line_number, " has ", fields.size(), " fields, the header ",
                          header.size()));
    auto number = [&](const std::string& name, bool may_be_empty = false) {
      const std::string& text = fields[column.at(name)];
      if (may_be_empty && text.empty()) return std::nan("");
      char* end = nullptr;
      const double v = std::strtod(text.c_str(), &end);
      if (text.empty() || *end != '\0')
        throw DataError(cat("'", path, "' line ", line_number, ": ", name, " '", text, "' is not a number"));
      return v;
    };
    h.epoch.push_back(number("epoch"));
    h.train_loss.push_back(number("train_loss"));
    h.val_loss.push_back(number("val_loss"));
    h.lr.push_back(number("lr"));
    if (has_ema_loss) h.ema_val_loss.push_back(number("ema_val_loss", true));
    for (size_t s = 0; s < score_names.size(); ++s)
      h.val_scores[s].second.push_back(number(score_names[s], score_names[s] != "val_top1"));
  }
  return h;
}

cv::Mat draw_training_curves(const TrainingHistory& h, const std::string& title) {
  using namespace plot;
  ChartOptions o;
  o.width = 620;
  o.height = 460;
  o.integer_x = true;
  o.x_label = "epoch";

  const bool markers = h.epoch.size() < 40;  // dots while there are few epochs
  o.title = "Loss";
  o.y_label = "cross-entropy";
  std::vector<Series> losses = {{"train", h.epoch, h.train_loss, palette(0), false, 2, markers},
                                {"validation", h.epoch, h.val_loss, palette(1), false, 2, markers}};
  if (has_finite(h.ema_val_loss))
    losses.push_back({"EMA validation", h.epoch, h.ema_val_loss, palette(1), true, 2, markers});
  const cv::Mat loss = draw_line_chart(losses, o);

  o.title = "Validation scores";
  o.y_label = "score (%; AUROC x 100)";
  o.legend = Corner::bottom_right;
  std::vector<Series> scores;
  for (size_t i = 0; i < h.val_scores.size(); ++i) {
    const auto& [name, values] = h.val_scores[i];
    if (!has_finite(values)) continue;  // no EMA, or an AUROC never defined
    // The EMA's scores are dashed in the colour of the model's same score.
    const bool ema = name.rfind("ema_", 0) == 0;
    const std::string score = name.substr(name.find("val_") + 4);
    size_t colour = 0;
    while (colour < i && h.val_scores[colour].first != "val_" + score) ++colour;
    Series s{(ema ? "EMA " : "") + score_label(score), h.epoch, values, palette(colour), ema, 2, markers};
    for (double& v : s.y) v *= 100;
    scores.push_back(s);
  }
  const cv::Mat accuracy = draw_line_chart(scores, o);

  o.title = "Learning rate (end of epoch)";
  o.y_label = "learning rate";
  o.legend = Corner::top_right;
  o.y_min = 0;
  const cv::Mat lr = draw_line_chart({{"", h.epoch, h.lr, palette(2), false, 2, markers}}, o);

  cv::Mat panels;
  cv::hconcat(std::vector<cv::Mat>{loss, accuracy, lr}, panels);
  if (title.empty()) return panels;
  cv::Mat header(40, panels.cols, panels.type(), kWhite);
  draw_text(header, title, {header.cols / 2, header.rows / 2 + 4}, Align::center, Align::center, 0.7, kBlack,
            2);
  cv::Mat out;
  cv::vconcat(header, panels, out);
  return out;
}

void plot_training_curves(const std::string& run_dir, const std::string& subject) {
  const fs::path dir(run_dir);
  const TrainingHistory history = read_training_history((dir / "summary.csv").string());
  fs::path absolute = fs::absolute(dir).lexically_normal();
  if (absolute.filename().empty()) absolute = absolute.parent_path();  // "runs/x/"
  std::string title = "Training curves: " + absolute.filename().string();
  if (!subject.empty()) title += " - " + subject;
  plot::write_png((dir / "curves.png").string(), draw_training_curves(history, title));
}

void refresh_training_curves(const std::string& run_dir, const std::string& subject) noexcept {
  try {
    plot_training_curves(run_dir, subject);
  } catch (const std::exception& e) {
    try {
      log::warn(cat("training curves not drawn: ", e.what()));
    } catch (...) {
    }
  }
}

}  // namespace softvit
