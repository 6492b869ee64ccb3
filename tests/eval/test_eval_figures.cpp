// The figures' content: the confusion matrix normalised by row, titles that name the model, the
// split and n, a ROC curve clear of the frame, and training curves with the AUROC and the EMA.
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "catch.h"
#include "core/atomic_file.h"
#include "eval/eval_outputs.h"
#include "eval/line_chart.h"
#include "eval/plot_canvas.h"
#include "eval/plots.h"
#include "test_util.h"

using namespace softvit;
namespace fs = std::filesystem;

namespace {

double brightness(const cv::Mat& image, cv::Point at) {
  const auto bgr = image.at<cv::Vec3b>(at);
  return bgr[0] + bgr[1] + bgr[2];
}

int count_colour(const cv::Mat& image, const cv::Scalar& colour) {
  cv::Mat mask;
  cv::inRange(image, colour, colour, mask);
  return cv::countNonZero(mask);
}

}  // namespace

TEST_CASE("figures: the row-normalised confusion matrix colours each cell by its share of the row",
          "[eval][plots]") {
  // Row 0: 50 / 50 (0.5 each); row 1: 1 / 9 (0.1, 0.9). By count the cell of 9 is pale, by share dark.
  const ConfusionMatrix m{2, {50, 50, 1, 9}};
  cv::Rect cells;
  const cv::Mat counts = draw_confusion_matrix(m, {"a", "b"}, "counts", &cells);
  const int cell = cells.width / 2;
  const cv::Point corner_11(cells.x + cell + 4, cells.y + cell + 4), corner_00(cells.x + 4, cells.y + 4);
  CHECK(brightness(counts, corner_11) > brightness(counts, corner_00));  // 9 paler than 50
  const cv::Mat shares = draw_confusion_matrix_normalised(m, {"a", "b"}, "shares", &cells);
  CHECK(brightness(shares, corner_11) < brightness(shares, corner_00));  // 0.9 darker than 0.5
  const cv::Point corner_10(cells.x + 4, cells.y + cell + 4);
  CHECK(brightness(shares, corner_10) > brightness(shares, corner_00));  // 0.1 paler than 0.5
  // A class absent from the split (an empty row) keeps the colour of 0 rather than dividing by 0.
  const cv::Mat empty_row =
      draw_confusion_matrix_normalised(ConfusionMatrix{2, {3, 1, 0, 0}}, {}, "x", &cells);
  const cv::Scalar zero = heat_colour(0);
  CHECK(brightness(empty_row, corner_10) == zero[0] + zero[1] + zero[2]);
}

TEST_CASE("figures: eval writes the normalised matrix too, and the titles name model, split and n",
          "[eval][plots]") {
  EvalAccumulator acc(2);
  acc.add(torch::tensor({{2.0, 0.0}, {0.0, 1.0}, {1.0, 0.5}}), torch::tensor({0, 1, 1}, torch::kInt64));
  EvalOptions options;
  options.full_metrics = true;
  options.metrics.bootstrap = 0;
  const EvalResult r = acc.result(options);
  nlohmann::json json = to_json(*r.metrics);
  json["model"] = "deit_tiny";
  json["split"] = "test";
  CHECK(figure_subject(json, r.n) == "deit_tiny on test, n = 3");
  CHECK(figure_subject(nlohmann::json::object(), 7) == "n = 7");

  TempDir dir;
  const EvalOutputPaths file = eval_output_paths(dir.path("m.json"), "");
  CHECK(file.confusion_normalised_png == dir.path("m_confusion_matrix_normalised.png"));
  const EvalOutputPaths paths = eval_output_paths("", dir.path("out"));
  CHECK(paths.confusion_normalised_png == dir.path("out/confusion_matrix_normalised.png"));
  write_eval_outputs(paths, json, r, {"benign", "malignant"});
  const cv::Mat normalised = cv::imread(paths.confusion_normalised_png);
  REQUIRE_FALSE(normalised.empty());
  const auto written = nlohmann::json::parse(read_file(paths.json));
  CHECK(written["files"]["confusion_matrix_normalised"] == paths.confusion_normalised_png);

  // A two-line title (kind, then subject) takes two lines of ink above the plot.
  CHECK(plot::title_size("a\nb", 0.65).height > 2 * plot::title_size("a", 0.65).height);
  const cv::Mat roc = cv::imread(paths.roc_png);
  REQUIRE(roc.rows == 720);
  std::vector<int> inked_rows;
  for (int y = 0; y < 60; ++y) {
    cv::Mat row_mask;
    cv::inRange(roc.row(y), plot::kBlack, cv::Scalar(90, 90, 90), row_mask);
    if (cv::countNonZero(row_mask) > 0) inked_rows.push_back(y);
  }
  REQUIRE_FALSE(inked_rows.empty());
  int bands = 1;
  for (size_t i = 1; i < inked_rows.size(); ++i) bands += inked_rows[i] > inked_rows[i - 1] + 1;
  CHECK(bands >= 2);
}

TEST_CASE("figures: a perfect ROC curve runs clear of the frame, not under it", "[eval][plots]") {
  const ScoreMatrix p = ScoreMatrix::from_rows({{0.9, 0.1}, {0.8, 0.2}, {0.3, 0.7}, {0.1, 0.9}});
  MetricOptions o;
  o.bootstrap = 0;
  const MetricReport report = classification_metrics(p, {0, 0, 1, 1}, {"no", "yes"}, o);
  const cv::Mat image = draw_roc_curves(report, "perfect");
  // The frame: the longest black row. The curve's top segment (TPR 1, from FPR 0 to 1) must be a
  // coloured row of its own just below it, not drawn over by it.
  int frame_top = -1;
  for (int y = 0; y < image.rows && frame_top < 0; ++y)
    if (count_colour(image.row(y), plot::kBlack) > image.cols / 2) frame_top = y;
  REQUIRE(frame_top >= 0);
  int best = 0;
  for (int y = frame_top + 2; y < frame_top + 30; ++y)
    best = std::max(best, count_colour(image.row(y), plot::palette(0)));
  CHECK(best > image.cols / 2);
}

TEST_CASE("figures: training curves read empty AUROC and EMA fields as gaps", "[eval][plots]") {
  TempDir dir;
  dir.write("run/summary.csv",
            "epoch,train_loss,val_loss,val_top1,val_auroc,ema_val_loss,ema_val_top1,ema_val_auroc,lr,img_s,"
            "seconds\n"
            "1,1.9,1.5,0.45,,1.6,0.40,,0.001,5000.0,3.00\n"
            "2,1.3,1.1,0.62,0.81,1.2,0.60,0.80,0.0009,5100.0,3.00\n");
  const TrainingHistory h = read_training_history(dir.path("run/summary.csv"));
  REQUIRE(h.val_scores.size() == 4);
  CHECK(h.val_scores[1].first == "val_auroc");
  CHECK(std::isnan(h.val_scores[1].second[0]));
  CHECK(h.val_scores[1].second[1] == Approx(0.81));
  CHECK(h.ema_val_loss == std::vector<double>{1.6, 1.2});
  plot_training_curves(dir.path("run"), "vit on test (n = 10)");
  const cv::Mat image = cv::imread(dir.path("run/curves.png"));
  REQUIRE_FALSE(image.empty());
  // The AUROC series (second colour) in the scores panel, solid and dashed (EMA).
  CHECK(count_colour(image(cv::Rect(620, 40, 620, image.rows - 40)), plot::palette(1)) > 20);
}
