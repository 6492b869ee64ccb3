// Multi-label training end to end: a CSV manifest with one 0/1 column per finding, one sigmoid per
// label (train.loss bce), then `softvit eval` with a per-label AUC. Each label here is a visible
// mark in its own colour channel, so a model that learns anything gets every AUC near 1.
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include <fstream>
#include <random>
#include <sstream>

#include "catch.h"
#include "test_util.h"

namespace {

// 28 x 28 RGB PNGs, noise below 60; label k puts a bright 8 x 8 square in channel k.
std::string write_manifest(const TempDir& dir, int per_split) {
  std::mt19937 rng(5);
  std::ostringstream csv;
  csv << "file,split,red,green,blue\n";
  int index = 0;
  for (const char* split : {"train", "val", "test"}) {
    const int count = std::string(split) == "train" ? 4 * per_split : per_split;
    for (int i = 0; i < count; ++i, ++index) {
      cv::Mat image(28, 28, CV_8UC3);
      cv::randu(image, 0, 60);
      int labels[3];
      for (int k = 0; k < 3; ++k) {
        labels[k] = static_cast<int>(rng() % 2);
        if (!labels[k]) continue;
        const int x = static_cast<int>(rng() % 20), y = static_cast<int>(rng() % 20);
        for (int r = y; r < y + 8; ++r)
          for (int c = x; c < x + 8; ++c) image.at<cv::Vec3b>(r, c)[2 - k] = 220;  // BGR in OpenCV
      }
      const std::string name = "img" + std::to_string(index) + ".png";
      cv::imwrite(dir.path(name), image);
      csv << name << "," << split << "," << labels[0] << "," << labels[1] << "," << labels[2] << "\n";
    }
  }
  return dir.write("findings.csv", csv.str());
}

}  // namespace

TEST_CASE("multi-label: a CSV of findings trains with one sigmoid per label and evaluates per label",
          "[train][multilabel]") {
  TempDir dir;
  write_manifest(dir, 48);
  const std::string config =
      dir.write("multi.yaml",
                "model: {name: vit_mini_patch4_28, depth: 1, embed_dim: 32, num_heads: 2}\n"
                "data: {source: csv, root: " +
                    dir.root.string() +
                    ", manifest: findings.csv, csv_path_column: file,\n"
                    "       csv_split_column: split, csv_label_columns: [red, green, blue], channels: 3,\n"
                    "       mean: [0.1], std: [0.2], val_split: val, test_split: test}\n"
                    "train: {epochs: 12, batch_size: 16, loss: bce}\n"
                    "optim: {lr: 0.003}\n"
                    "schedule: {warmup_epochs: 1}\n"
                    "run: {log_every: 100, threads: 1}\n");
  const std::string out = dir.path("run");
  const auto train = run_softvit("train --config " + config + " --output " + out);
  INFO(train.text);
  REQUIRE(train.status == 0);

  const auto eval =
      run_softvit("eval --checkpoint " + out + "/checkpoints/best.pt --output " + dir.path("m.json"));
  INFO(eval.text);
  REQUIRE(eval.status == 0);
  std::ifstream in(dir.path("m.json"));
  const auto m = nlohmann::json::parse(in);
  CHECK(m["multi_label"] == true);
  CHECK(m["n"] == 48);
  REQUIRE(m["per_label"].size() == 3);
  for (const auto& label : m["per_label"]) {
    INFO(label.dump());
    CHECK(label["auc"].get<double>() > 0.9);
  }
  CHECK(m["auroc_macro"].get<double>() > 0.9);
  CHECK(m["accuracy"].get<double>() > 0.8);  // labels right at the 0.5 threshold

  // The wrong loss for the labels is a one-line error naming the key, not a shape error.
  const auto wrong =
      run_softvit("train --config " + config + " --output " + dir.path("wrong") + " --set train.loss=ce");
  CHECK(wrong.status != 0);
  CHECK(wrong.text.find("train.loss") != std::string::npos);
  CHECK(wrong.text.find("multi-label") != std::string::npos);
}
