// softvit eval end to end on a small image folder: evaluation scores exactly the images it names
// (none replaced, the whole split, the training normalisation), says how the checkpoint was
// chosen, names its positive class.
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
