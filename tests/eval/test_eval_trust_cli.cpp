// softvit eval and predict end to end on a small image folder: evaluation scores exactly the
// images it names (none replaced, the whole split, the training normalisation), says how the
// checkpoint was chosen, names its positive class; predict writes an identifier per image and a
// threshold with how it was chosen.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <opencv2/core.hpp>
#include <set>

#include "catch.h"
#include "core/strings.h"
#include "data/data_test_util.h"
#include "test_util.h"

using namespace softvit;
using testing::encode_rgb;
using testing::write_bytes;
namespace fs = std::filesystem;

namespace {

// root/{train,val,test}/{a,b}: dark and bright noisy 28 px images, 16 / 6 / 8 per class.
std::string image_folder(const TempDir& dir) {
  const std::string root = dir.path("ds");
  cv::RNG rng(7);
  for (const auto& [split, count] : {std::pair{"train", 16}, std::pair{"val", 6}, std::pair{"test", 8}})
    for (const auto& [name, level] : {std::pair{"a", 60}, std::pair{"b", 190}})
      for (int k = 0; k < count; ++k) {
        cv::Mat image(28, 28, CV_8UC3);
        rng.fill(image, cv::RNG::NORMAL, level, 40);
        write_bytes(cat(root, "/", split, "/", name, "/", k, ".png"), encode_rgb(image, ".png"));
      }
  return root;
}

std::string config_for(const TempDir& dir, const std::string& root) {
  return dir.write("c.yaml",
                   "model: {name: vit_mini_patch4_28, depth: 1, embed_dim: 16, num_heads: 2}\n"
                   "data: {source: folder, root: " +
                       root +
                       ", channels: 1, mean: [0.5], std: [0.25],\n"
                       "       limit_eval: 4, workers: 1}\n"
                       "train: {epochs: 2, batch_size: 8, eval_batch_size: 8}\n"
                       "eval: {bootstrap: 0}\n"
                       "run: {threads: 1, log_every: 1}\n");
}

nlohmann::json json_of(const std::string& text) {
  const auto start = text.find("{\n");
  REQUIRE(start != std::string::npos);
  return nlohmann::json::parse(text.substr(start));
}

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

bool any_warning(const nlohmann::json& j, const std::string& text) {
  for (const auto& w : j["warnings"])
    if (w.get<std::string>().find(text) != std::string::npos) return true;
  return false;
}

// One trained checkpoint for the tests of this file.
struct Trained {
  TempDir dir;
  std::string root, config, best;
  Trained() {
    root = image_folder(dir);
    config = config_for(dir, root);
    const auto run = train("", "run");
    INFO(run.text);
    REQUIRE(run.status == 0);
    CHECK(run.text.find("validation (chooses best.pt): split 'val'") != std::string::npos);
    best = dir.path("run/checkpoints/best.pt");
  }
  // softvit train on the folder with `sets` ("--set key=value ..."), into dir/output.
  SoftvitRun train(const std::string& sets, const std::string& output) const {
    return run_softvit("train --config " + config + " " + sets + " --output " + dir.path(output));
  }
};

}  // namespace

TEST_CASE("eval: an unreadable image stops it or is left out and listed, never replaced", "[cli][eval]") {
  Trained t;
  write_bytes(t.root + "/test/b/zz_broken.png", {1, 2, 3, 4});
  const auto stopped = run_softvit("eval --checkpoint " + t.best);
  CHECK(stopped.status != 0);
  CHECK(stopped.text.find("zz_broken.png") != std::string::npos);

  write_bytes(t.root + "/test/zebra/0.png",
              encode_rgb(cv::Mat(28, 28, CV_8UC3), ".png"));  // a class it never saw
  const auto out = t.dir.path("m.json");
  const auto e = run_softvit("eval --checkpoint " + t.best + " --set data.on_error=skip --output " + out);
  INFO(e.text);
  REQUIRE(e.status == 0);
  std::ifstream in(out);
  const auto j = nlohmann::json::parse(in);
  CHECK(j["n"] == 16);  // every readable test image, though the run validated on limit_eval 4
  CHECK(j["limit_eval"] == 0);
  CHECK(j["dropped"]["count"] == 2);
  std::string dropped;
  for (const auto& s : j["dropped"]["samples"]) dropped += s["name"].get<std::string>() + " ";
  CHECK(dropped.find("zz_broken.png") != std::string::npos);
  CHECK(dropped.find("zebra") != std::string::npos);
  CHECK(any_warning(j, "could not be read and were left out"));
  CHECK(e.text.find("left out") != std::string::npos);

  // Each prediction row names its image, and the image's folder is its label: no stand-ins.
  const auto rows = lines_of(t.dir.path("m_predictions.csv"));
  REQUIRE(rows.size() == 17);
  CHECK(rows[0].rfind("index,image,label,predicted,p_a,p_b", 0) == 0);
  std::set<std::string> images;
  for (size_t i = 1; i < rows.size(); ++i) {
    const auto fields = split(rows[i], ',');
    images.insert(fields[1]);
    CHECK(fields[1].find(fields[2] == "0" ? "/test/a/" : "/test/b/") != std::string::npos);
    CHECK(fields[1].find("zz_broken") == std::string::npos);
  }
  CHECK(images.size() == 16);
}

TEST_CASE("eval: scores the whole split with the training normalisation and records how", "[cli][eval]") {
  Trained t;
  const auto whole = run_softvit("eval --checkpoint " + t.best);
  INFO(whole.text);
  REQUIRE(whole.status == 0);
  const auto j = json_of(whole.text);
  CHECK(j["split"] == "test");
  CHECK(j["n"] == 16);
  CHECK(j["resolution"]["training"] == nlohmann::json({1, 28, 28}));
  CHECK(j["resolution"]["input"] == nlohmann::json({{28, 28}}));
  CHECK(j["normalisation"]["mean"] == nlohmann::json({0.5}));
  CHECK(j["tta"] == "none");
  CHECK(j["weights"] == "model");
  CHECK(j["checkpoint_selection"]["validation"] == "split 'val'");
  CHECK(j["checkpoint_selection"]["on_test_split"] == false);
  CHECK(j["warnings"].empty());

  // A limit only from eval's own command line, and then said.
  const auto limited = json_of(run_softvit("eval --checkpoint " + t.best + " --set data.limit_eval=5").text);
  CHECK(limited["n"] == 5);
  CHECK(any_warning(limited, "only the first 5"));

  // --config with another mean and a limit: the model keeps its normalisation, the split stays whole.
  const auto other =
      t.dir.write("other.yaml", "data: {source: folder, root: " + t.root +
                                    ", channels: 1, mean: [0.1], std: [0.25], limit_eval: 3}\n");
  const auto given = run_softvit("eval --checkpoint " + t.best + " --config " + other);
  INFO(given.text);
  REQUIRE(given.status == 0);
  CHECK(given.text.find("data.mean of " + other + " ignored") != std::string::npos);
  const auto g = json_of(given.text);
  CHECK(g["normalisation"]["mean"] == nlohmann::json({0.5}));
  CHECK(g["normalisation"]["differs_from_training"] == false);
  CHECK(g["n"] == 16);
  // ... unless asked for on the command line, and then flagged.
  const auto asked = json_of(run_softvit("eval --checkpoint " + t.best + " --set 'data.mean=[0.1]'").text);
  CHECK(asked["normalisation"]["differs_from_training"] == true);
  CHECK(any_warning(asked, "normalisation"));

  // Inputs at another resolution than training's are evaluated, and said.
  const auto big = json_of(
      run_softvit("eval --checkpoint " + t.best + " --set 'data.eval_transforms=[\"resize(size=56x56)\"]'")
          .text);
  CHECK(big["resolution"]["input"] == nlohmann::json({{56, 56}}));
  CHECK(big["resolution"]["differs_from_training"] == true);
  CHECK(any_warning(big, "56x56 inputs here but 28x28 in training"));
}

TEST_CASE("eval: the positive class by name, and a test split chosen for validation is said", "[cli][eval]") {
  Trained t;
  const auto by_name =
      json_of(run_softvit("eval --checkpoint " + t.best + " --set eval.positive_class=a").text);
  CHECK(by_name["binary"]["positive_class"] == 0);
  CHECK(by_name["binary"]["positive_class_name"] == "a");
  const auto by_index = json_of(run_softvit("eval --checkpoint " + t.best).text);
  CHECK(by_index["binary"]["positive_class_name"] == "b");
  const auto unknown = run_softvit("eval --checkpoint " + t.best + " --set eval.positive_class=zebra");
  CHECK(unknown.status != 0);
  CHECK(unknown.text.find("0 'a', 1 'b'") != std::string::npos);

  // Validating on test is allowed when named, and then the log, the run's metrics and eval say so.
  const auto on_test = t.train("--set data.val_split=test", "on_test");
  INFO(on_test.text);
  REQUIRE(on_test.status == 0);
  CHECK(on_test.text.find("validation on the TEST split 'test'") != std::string::npos);
  bool flagged = false;
  for (const auto& line : lines_of(t.dir.path("on_test/metrics.jsonl"))) {
    const auto r = nlohmann::json::parse(line);
    if (r["type"] == "epoch") flagged = r["val_on_test_split"].get<bool>() && r["val_split"] == "test";
  }
  CHECK(flagged);
  const auto e = json_of(run_softvit("eval --checkpoint " + t.dir.path("on_test/checkpoints/best.pt")).text);
  CHECK(e["checkpoint_selection"]["on_test_split"] == true);
  CHECK(e["checkpoint_selection"]["on_split_evaluated"] == true);
  CHECK(any_warning(e, "optimistic"));

  // Without a val folder and without a choice, training asks for one.
  fs::rename(t.root + "/val", t.root + "/validation");
  const auto unset = t.train("", "unset");
  CHECK(unset.status != 0);
  CHECK(unset.text.find("data.val_fraction") != std::string::npos);
  const auto held = t.train("--set data.val_fraction=0.25", "held");
  INFO(held.text);
  REQUIRE(held.status == 0);
  CHECK(held.text.find("24 train (train), 4 val (holdout)") !=
        std::string::npos);  // 8 held out, limit_eval 4
  CHECK(held.text.find("25.0% of 'train' held out") != std::string::npos);
}

TEST_CASE("predict: one row per image with its path, probabilities, top-k and the threshold's origin",
          "[cli][predict]") {
  Trained t;
  const auto csv = t.dir.path("p.csv");
  const auto plain =
      run_softvit("predict --checkpoint " + t.best + " --input " + t.root + "/test --output " + csv);
  INFO(plain.text);
  REQUIRE(plain.status == 0);
  CHECK(plain.text.find("predict: 16/16 images") != std::string::npos);
  auto rows = lines_of(csv);
  size_t header = 0;
  while (header < rows.size() && rows[header].rfind("# ", 0) == 0) ++header;
  CHECK(rows[1].find("checkpoint: " + t.best) != std::string::npos);
  CHECK(rows[header] == "image,predicted,p_a,p_b,top1_class,top1_p,top2_class,top2_p");
  REQUIRE(rows.size() == header + 17);
  for (size_t i = header + 1; i < rows.size(); ++i) {
    const auto f = split(rows[i], ',');
    REQUIRE(f.size() == 8);
    CHECK(fs::exists(f[0]));
    CHECK(std::stod(f[2]) + std::stod(f[3]) == Approx(1.0).margin(1e-5));
    CHECK(f[1] == f[4]);  // no threshold: the most probable class
  }

  // A threshold for sensitivity 0.9 of class b, chosen on the validation split and written down.
  const auto chosen = run_softvit("predict --checkpoint " + t.best + " --input " + t.root +
                                  "/test --threshold-at sensitivity=0.9 --tta hflip --output " + csv);
  INFO(chosen.text);
  REQUIRE(chosen.status == 0);
  rows = lines_of(csv);
  std::string line;
  for (const auto& r : rows)
    if (r.find("chosen for sensitivity >= 0.9") != std::string::npos) line = r;
  REQUIRE_FALSE(line.empty());
  CHECK(line.find("class 'b'") != std::string::npos);
  CHECK(line.find("split 'val' (12 images") != std::string::npos);
  CHECK(std::stod(line.substr(line.find("there sensitivity ") + 18)) >= 0.9);
  const double threshold = std::stod(line.substr(line.find("# threshold ") + 12));
  CHECK(std::any_of(rows.begin(), rows.end(),
                    [](const std::string& r) { return r.find("tta hflip") != std::string::npos; }));
  for (const auto& r : rows) {
    if (r.rfind("#", 0) == 0 || r.rfind("image,", 0) == 0) continue;
    const auto f = split(r, ',');
    CHECK(f[1] == (std::stod(f[3]) >= threshold ? "b" : "a"));
  }

  // A given threshold, a CSV of paths, files one by one; an unreadable one stops or is listed.
  t.dir.write("ds/in.csv", "path\ntest/a/0.png\ntest/b/1.png\n");  // paths relative to the manifest
  REQUIRE(run_softvit("predict --checkpoint " + t.best + " --input " + t.root +
                      "/in.csv --threshold 0.3 --output " + csv)
              .status == 0);
  rows = lines_of(csv);
  CHECK(std::any_of(rows.begin(), rows.end(), [](const std::string& r) {
    return r == "# threshold 0.3 given (--threshold); predicted: 'b' when p_b >= 0.3, else 'a'";
  }));
  CHECK(rows.back().rfind(t.root + "/test/b/1.png,", 0) == 0);
  const std::string files = t.root + "/test/a/1.png " + t.root + "/missing.png";
  const auto stopped =
      run_softvit("predict --checkpoint " + t.best + " --input " + files + " --output " + csv);
  CHECK(stopped.status != 0);
  CHECK(stopped.text.find("missing.png") != std::string::npos);
  const auto skipped = run_softvit("predict --checkpoint " + t.best + " --input " + files +
                                   " --set data.on_error=skip --output " + csv);
  INFO(skipped.text);
  REQUIRE(skipped.status == 0);
  rows = lines_of(csv);
  CHECK(std::any_of(rows.begin(), rows.end(), [](const std::string& r) {
    return r == "# left out, unreadable (data.on_error skip): 1";
  }));
  CHECK(rows.back().rfind(t.root + "/test/a/1.png,", 0) == 0);

  // Thresholds belong to binary decisions of a class; an operating point must parse.
  const auto bad = run_softvit("predict --checkpoint " + t.best + " --input " + t.root +
                               "/test --threshold-at recall=0.9 --output " + csv);
  CHECK(bad.status != 0);
  CHECK(bad.text.find("sensitivity=X") != std::string::npos);
}
