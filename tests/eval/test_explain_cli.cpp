// softvit eval --explain and predict --explain end to end: the PNGs and the contact sheet are
// written where the help says, the log says what was written, and the metrics and predictions are
// byte for byte those of the same evaluation without explanations.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <sstream>

#include "catch.h"
#include "core/strings.h"
#include "data/data_test_util.h"
#include "test_util.h"

using namespace softvit;
using testing::encode_rgb;
using testing::write_bytes;
namespace fs = std::filesystem;

namespace {

// root/{train,val,test}/{a,b}: 28 px noise with a bright square (b) or none (a).
std::string square_folder(const TempDir& dir) {
  const std::string root = dir.path("ds");
  cv::RNG rng(5);
  for (const auto& [split, count] : {std::pair{"train", 24}, std::pair{"val", 6}, std::pair{"test", 8}})
    for (const std::string name : {"a", "b"})
      for (int k = 0; k < count; ++k) {
        cv::Mat image(28, 28, CV_8UC3);
        rng.fill(image, cv::RNG::NORMAL, 100, 30);
        if (name == "b") {
          const int x = rng.uniform(0, 22), y = rng.uniform(0, 22);
          image(cv::Rect(x, y, 6, 6)).setTo(cv::Scalar(250, 250, 250));
        }
        write_bytes(cat(root, "/", split, "/", name, "/", k, ".png"), encode_rgb(image, ".png"));
      }
  return root;
}

std::string text_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// metrics.json without what differs between two calls by design: the time taken and the names of
// the files written (each call writes into its own folder).
nlohmann::json metrics_of(const std::string& path) {
  auto j = nlohmann::json::parse(text_of(path));
  j.erase("seconds");
  j.erase("files");
  return j;
}

size_t pngs_in(const std::string& folder) {
  size_t n = 0;
  for (const auto& entry : fs::directory_iterator(folder)) n += entry.path().extension() == ".png";
  return n;
}

}  // namespace

TEST_CASE("eval --explain writes heat maps and a contact sheet and changes no metric", "[explain][cli]") {
  TempDir dir;
  const std::string root = square_folder(dir);
  const std::string config =
      dir.write("c.yaml",
                "model: {name: vit_mini_patch4_28, depth: 1, embed_dim: 16, num_heads: 2}\n"
                "data: {source: folder, root: " +
                    root +
                    ", channels: 1, mean: [0.4], std: [0.2], workers: 1}\n"
                    "train: {epochs: 2, batch_size: 8, eval_batch_size: 8}\n"
                    "eval: {bootstrap: 20}\n"
                    "run: {threads: 1, log_every: 1}\n");
  const auto trained = run_softvit("train --config " + config + " --output " + dir.path("run"));
  INFO(trained.text);
  REQUIRE(trained.status == 0);
  const std::string best = dir.path("run/checkpoints/best.pt");

  const auto plain = run_softvit("eval --checkpoint " + best + " --output-dir " + dir.path("plain"));
  INFO(plain.text);
  REQUIRE(plain.status == 0);
  const auto explained =
      run_softvit("eval --checkpoint " + best + " --output-dir " + dir.path("explained") + " --explain 2");
  INFO(explained.text);
  REQUIRE(explained.status == 0);

  CHECK(metrics_of(dir.path("plain/metrics.json")) == metrics_of(dir.path("explained/metrics.json")));
  CHECK(text_of(dir.path("plain/predictions.csv")) == text_of(dir.path("explained/predictions.csv")));
  CHECK(!fs::exists(dir.path("plain/explain")));
  REQUIRE(fs::exists(dir.path("explained/explain.png")));
  const size_t written = pngs_in(dir.path("explained/explain"));
  CHECK(written >= 2);
  CHECK(written <= 12);  // up to 2 per class in each of three groups
  CHECK(explained.text.find("explanations (integrated gradients on the input, 64 steps") !=
        std::string::npos);
  CHECK(explained.text.find(cat(written, " images (up to 2 per class")) != std::string::npos);
  const cv::Mat sheet = cv::imread(dir.path("explained/explain.png"));
  CHECK(sheet.cols > 160);
  for (const auto& entry : fs::directory_iterator(dir.path("explained/explain"))) {
    const cv::Mat figure = cv::imread(entry.path().string());
    CHECK(figure.cols >= 224);  // 28 px enlarged to 224, plus the colour bar
    CHECK(entry.path().filename().string().find("_label-") != std::string::npos);
  }

  SECTION("another class, rollout, and a metrics file name") {
    const auto other = run_softvit("eval --checkpoint " + best + " --output " + dir.path("m.json") +
                                   " --explain 1 --class b --explain-method rollout");
    INFO(other.text);
    REQUIRE(other.status == 0);
    CHECK(fs::exists(dir.path("m_explain.png")));
    CHECK(pngs_in(dir.path("m_explain")) >= 1);
    CHECK(other.text.find("attention rollout") != std::string::npos);
    const auto cam = run_softvit("eval --checkpoint " + best + " --output-dir " + dir.path("cam") +
                                 " --explain 1 --explain-method gradcam");
    INFO(cam.text);
    CHECK(cam.status == 0);
    CHECK(cam.text.find("explanations (Grad-CAM on blocks.0.norm1") != std::string::npos);
    const auto chefer = run_softvit("eval --checkpoint " + best + " --output-dir " + dir.path("chefer") +
                                    " --explain 1 --explain-method chefer");
    INFO(chefer.text);
    CHECK(chefer.status == 0);
    CHECK(chefer.text.find("explanations (gradient-weighted attention rollout") != std::string::npos);
    const auto smooth = run_softvit("eval --checkpoint " + best + " --output-dir " + dir.path("smooth") +
                                    " --explain 1 --explain-method smoothgrad-ig");
    INFO(smooth.text);
    CHECK(smooth.status == 0);
    CHECK(smooth.text.find("explanations (SmoothGrad integrated gradients on the input, 8 noisy copies") !=
          std::string::npos);
    CHECK(pngs_in(dir.path("smooth/explain")) >= 1);
    const auto without_output = run_softvit("eval --checkpoint " + best + " --explain 1");
    CHECK(without_output.status != 0);
    CHECK(without_output.text.find("--explain writes images") != std::string::npos);
    const auto bad_class = run_softvit("eval --checkpoint " + best + " --output-dir " + dir.path("x") +
                                       " --explain 1 --class zebra");
    CHECK(bad_class.status != 0);
    CHECK(bad_class.text.find("zebra") != std::string::npos);
  }

  SECTION("predict --explain") {
    const auto predicted =
        run_softvit("predict --checkpoint " + best + " --input " + root + "/test/b --output " +
                    dir.path("p/preds.csv") + " --explain --class a --explain-max 3");
    INFO(predicted.text);
    REQUIRE(predicted.status == 0);
    CHECK(fs::exists(dir.path("p/preds_explain.png")));
    CHECK(pngs_in(dir.path("p/preds_explain")) == 3);
    CHECK(predicted.text.find("only the first 3 images explained") != std::string::npos);
  }
}
