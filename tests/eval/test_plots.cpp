// The PNG figures: written, of the designed size, not blank, and showing what they should.
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <filesystem>

#include "catch.h"
#include "core/error.h"
#include "eval/line_chart.h"
#include "eval/plot_canvas.h"
#include "eval/plots.h"
#include "test_util.h"

using namespace softvit;
namespace fs = std::filesystem;

namespace {

double pixel_stddev(const cv::Mat& image) {
  cv::Mat gray;
  cv::cvtColor(image, gray, cv::COLOR_BGR2GRAY);
  cv::Scalar mean, stddev;
  cv::meanStdDev(gray, mean, stddev);
  return stddev[0];
}

int pixels_of_colour(const cv::Mat& image, const cv::Scalar& colour) {
  cv::Mat mask;
  cv::inRange(image, colour, colour, mask);
  return cv::countNonZero(mask);
}

double brightness(const cv::Vec3b& bgr) { return bgr[0] + bgr[1] + bgr[2]; }

}  // namespace

TEST_CASE("plots: nice ticks and their labels", "[eval][plots]") {
  const auto unit = plot::nice_ticks(0, 1);
  REQUIRE(unit.size() == 6);
  for (int i = 0; i < 6; ++i) CHECK(unit[i] == Approx(0.2 * i));
  const auto ticks = plot::nice_ticks(0.3, 2.7);  // step 0.5
  REQUIRE(ticks.size() == 5);
  CHECK(ticks.front() == Approx(0.5));
  CHECK(ticks.back() == Approx(2.5));
  CHECK(plot::tick_label(0.25, 0.25) == "0.25");
  CHECK(plot::tick_label(10, 5) == "10");
  CHECK(plot::tick_label(0.0002, 0.0002) == "2e-4");
  CHECK(plot::tick_label(0.00025, 0.00005) == "2.5e-4");
  CHECK(plot::tick_label(0, 0.0001) == "0");
}

TEST_CASE("plots: heat colours darken monotonically with the count", "[eval][plots]") {
  double previous = 1e9;
  for (int i = 0; i <= 20; ++i) {
    const cv::Scalar c = heat_colour(i / 20.0);
    const double b = c[0] + c[1] + c[2];
    CHECK(b < previous);
    previous = b;
  }
}

TEST_CASE("plots: the confusion matrix cells are coloured in the order of their counts", "[eval][plots]") {
  ConfusionMatrix m{3, {50, 3, 0, 7, 40, 1, 2, 9, 20}};
  cv::Rect cells;
  const cv::Mat image =
      draw_confusion_matrix(m, {"normal", "benign", "malignant"}, "Confusion matrix", &cells);
  REQUIRE(cells.width == cells.height);
  CHECK(cells.width == 3 * 110);  // three classes: the largest cells
  CHECK(image.cols > cells.x + cells.width);
  CHECK(image.rows > cells.y + cells.height);
  const int cell = cells.width / 3;
  std::vector<std::pair<double, double>> count_and_brightness;
  for (int t = 0; t < 3; ++t)
    for (int p = 0; p < 3; ++p) {
      // A corner of the cell, clear of the border line and of the count in the middle.
      const cv::Point at(cells.x + p * cell + 4, cells.y + t * cell + 4);
      count_and_brightness.push_back({m.at(t, p), brightness(image.at<cv::Vec3b>(at))});
    }
  std::sort(count_and_brightness.begin(), count_and_brightness.end());
  for (size_t i = 1; i < count_and_brightness.size(); ++i) {
    INFO("counts " << count_and_brightness[i - 1].first << " and " << count_and_brightness[i].first);
    CHECK(count_and_brightness[i].second < count_and_brightness[i - 1].second);
  }

  TempDir dir;
  plot::write_png(dir.path("cm.png"), image);
  const cv::Mat back = cv::imread(dir.path("cm.png"));
  REQUIRE_FALSE(back.empty());
  CHECK(back.size() == image.size());
  CHECK(pixel_stddev(back) > 20);
  CHECK_THROWS_WITH(plot::write_png(dir.path("no/such/folder/cm.png"), image), Catch::Contains("cm.png"));
}

TEST_CASE("plots: a large confusion matrix stays legible by dropping counts and names", "[eval][plots]") {
  ConfusionMatrix m{200, std::vector<double>(200 * 200, 1.0)};
  cv::Rect cells;
  const cv::Mat image = draw_confusion_matrix(m, {}, "200 classes", &cells);
  CHECK(cells.width == 200 * 3);
  CHECK(image.cols < 1000);
}

TEST_CASE("plots: ROC curves per class with their AUC in the legend", "[eval][plots]") {
  const ScoreMatrix p = ScoreMatrix::from_rows(
      {{0.7, 0.2, 0.1}, {0.5, 0.4, 0.1}, {0.2, 0.6, 0.2}, {0.5, 0.3, 0.2}, {0.1, 0.2, 0.7}, {0.3, 0.3, 0.4}});
  MetricOptions o;
  o.bootstrap = 0;
  const MetricReport r = classification_metrics(p, {0, 0, 1, 1, 2, 1}, {"a", "b", "c"}, o);
  const cv::Mat image = draw_roc_curves(r);
  CHECK(image.cols == 760);
  CHECK(image.rows == 720);
  CHECK(pixel_stddev(image) > 10);
  // Each class's curve is drawn in its palette colour (solid pixels along the lines).
  for (size_t c = 0; c < 3; ++c) CHECK(pixels_of_colour(image, plot::palette(c)) > 100);
}

TEST_CASE("plots: the line chart draws every series and refuses mismatched ones", "[eval][plots]") {
  plot::ChartOptions o;
  o.title = "two series";
  o.width = 400;
  o.height = 300;
  const cv::Mat image = plot::draw_line_chart(
      {{"up", {0, 1, 2, 3}, {0, 1, 2, 3}, std::nullopt}, {"down", {0, 1, 2, 3}, {3, 2, 1, 0}, std::nullopt}},
      o);
  CHECK(image.size() == cv::Size(400, 300));
  CHECK(pixels_of_colour(image, plot::palette(0)) > 50);
  CHECK(pixels_of_colour(image, plot::palette(1)) > 50);
  CHECK_THROWS(plot::draw_line_chart({{"bad", {0, 1}, {0}, std::nullopt}}, o));
  o.width = 50;
  CHECK_THROWS(plot::draw_line_chart({}, o));
}

TEST_CASE("plots: training curves from a run folder's summary.csv", "[eval][plots]") {
  TempDir dir;
  dir.write("run/summary.csv",
            "epoch,train_loss,val_loss,val_top1,lr,img_s,seconds\n"
            "1,1.900000,1.500000,0.450000,0.001,5000.0,3.00\n"
            "2,1.300000,1.100000,0.620000,0.0009,5100.0,3.00\n"
            "3,1.000000,0.950000,0.700000,0.0005,5100.0,3.00\n"
            "4,0.850000,0.900000,0.730000,0.0001,5100.0,3.00\n");
  const TrainingHistory h = read_training_history(dir.path("run/summary.csv"));
  CHECK(h.epoch == std::vector<double>{1, 2, 3, 4});
  CHECK(h.lr[1] == Approx(0.0009));
  REQUIRE(h.val_scores.size() == 1);
  CHECK(h.val_scores[0].first == "val_top1");

  plot_training_curves(dir.path("run"));
  const cv::Mat image = cv::imread(dir.path("run/curves.png"));
  REQUIRE_FALSE(image.empty());
  CHECK(image.cols == 3 * 620);
  CHECK(image.rows == 460 + 40);
  CHECK(pixel_stddev(image) > 10);
  CHECK(pixels_of_colour(image, plot::palette(0)) > 100);  // the train loss line

  // Bad files are named with what is wrong; the trainer's variant only warns.
  dir.write("bad/summary.csv", "epoch,train_loss,lr\n1,2,3\n");
  CHECK_THROWS_WITH(plot_training_curves(dir.path("bad")), Catch::Contains("val_loss"));
  dir.write("bad2/summary.csv", "epoch,train_loss,val_loss,lr\n1,2,x,3\n");
  CHECK_THROWS_WITH(plot_training_curves(dir.path("bad2")), Catch::Contains("line 2"));
  CHECK_THROWS_AS(plot_training_curves(dir.path("none")), DataError);
  refresh_training_curves(dir.path("none"));

  // A summary saved again by a spreadsheet: byte-order mark, CRLF, quoted fields, a blank line.
  dir.write(
      "excel/summary.csv",
      "\xEF\xBB\xBF\"epoch\",train_loss,val_loss,lr\r\n1,\"2.5\",1.5,0.001\r\n\r\n2,2.0,1.25,\"0.0005\"\r\n");
  const TrainingHistory excel = read_training_history(dir.path("excel/summary.csv"));
  CHECK(excel.epoch == std::vector<double>{1, 2});
  CHECK(excel.train_loss == std::vector<double>{2.5, 2.0});
  CHECK(excel.lr[1] == Approx(0.0005));
  dir.write("bad3/summary.csv", "epoch,train_loss,val_loss,lr\n1,2,3,4\n\n2,2,3\n");
  CHECK_THROWS_WITH(read_training_history(dir.path("bad3/summary.csv")),
                    Catch::Contains("line 4 has 3 fields"));
  CHECK_FALSE(fs::exists(dir.path("none/curves.png")));
}
