// The learning-rate range test on a tiny model: the exponential sweep, the stop at divergence, a
// suggestion where the loss falls, its files, and an untouched run folder.
#include <cmath>
#include <filesystem>
#include <fstream>

#include "catch.h"
#include "core/config.h"
#include "test_util.h"
#include "train/lr_finder.h"

using namespace softvit;
namespace fs = std::filesystem;

TEST_CASE("lr finder: the rate rises exponentially from start to end", "[train][lr_find]") {
  LrFindOptions o;
  o.steps = 11;
  o.start_lr = 1e-6;
  o.end_lr = 1e-1;
  CHECK(lr_find_rate(o, 0) == Approx(1e-6));
  CHECK(lr_find_rate(o, 10) == Approx(1e-1));
  for (int i = 1; i < 11; ++i)
    CHECK(lr_find_rate(o, i) / lr_find_rate(o, i - 1) == Approx(std::pow(10.0, 0.5)));
}

TEST_CASE("lr finder: the valley lies inside the longest fall of the loss", "[train][lr_find]") {
  // Flat, then a fall over points 10..40 (with a little noise that a plain run of decreases would
  // break at), then a climb: fastai's valley is start + 1/3 + 1/6 of the fall's length.
  std::vector<double> losses;
  for (int i = 0; i < 10; ++i) losses.push_back(2.0 + 0.001 * (i % 2));
  for (int i = 10; i <= 40; ++i) losses.push_back(2.0 - 0.04 * (i - 10) + (i == 25 ? 0.01 : 0.0));
  for (int i = 41; i < 50; ++i) losses.push_back(losses.back() + 0.3);
  const size_t v = valley_index(losses);
  CHECK(v >= 20);
  CHECK(v <= 28);
  CHECK(valley_index({}) == 0);
  CHECK(valley_index({1.0}) == 0);
}

TEST_CASE(
    "lr finder: a tiny model's sweep stops at divergence, suggests a falling-loss rate, writes its "
    "files and leaves the run folder alone",
    "[train][lr_find]") {
  TempDir dir;
  RunConfig c = parse_config(
      "model: {name: vit_mini_patch4_28, depth: 1, embed_dim: 16, num_heads: 2}\n"
      "data: {source: synthetic, synthetic_samples: 256, synthetic_size: 28, synthetic_classes: 4, channels: "
      "1,"
      " workers: 1}\n"
      "train: {batch_size: 32, label_smoothing: 0.0}\n"
      "optim: {weight_decay: 0.0}\n"
      "run: {threads: 1}\n",
      "lr_find");
  c.run.output = dir.path("run");
  LrFindOptions o;
  o.steps = 150;
  o.start_lr = 1e-5;
  o.end_lr = 100;  // far past what AdamW survives: the sweep must stop early
  o.output_dir = dir.path("lr_find");
  const LrFindResult r = find_learning_rate(c, o);

  CHECK(r.diverged);
  CHECK(r.lrs.size() < 150);
  CHECK(r.lrs.size() > 20);
  // The suggestion is a rate at which the loss was still falling: below where it was lowest, and its
  // smoothed loss clearly under the starting loss.
  const auto at = [&](double lr) { return std::find(r.lrs.begin(), r.lrs.end(), lr) - r.lrs.begin(); };
  CHECK(r.valley_lr <= r.minimum_lr);
  CHECK(r.smoothed[static_cast<size_t>(at(r.valley_lr))] < r.smoothed.front());
  CHECK(*std::min_element(r.smoothed.begin(), r.smoothed.end()) < 0.8 * r.smoothed.front());

  CHECK(fs::file_size(r.png) > 1000);
  std::ifstream csv(r.csv);
  std::string header;
  std::getline(csv, header);
  CHECK(header == "step,lr,loss,smoothed_loss");
  int rows = 0;
  for (std::string line; std::getline(csv, line);) ++rows;
  CHECK(rows == static_cast<int>(r.lrs.size()));
  CHECK_FALSE(fs::exists(c.run.output));
}
