// One run per run folder: a fresh run refuses a folder that holds an earlier run unless told to
// overwrite it, --overwrite leaves nothing of the earlier run, a NaN names only this run's
// checkpoint, a resume refuses a last.pt of another run, and summary.csv / metrics.jsonl hold one
// record per epoch and step even after a crash and a resume. Synthetic data: no files needed.
#include <opencv2/imgcodecs.hpp>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "catch.h"
#include "core/atomic_file.h"
#include "core/config.h"
#include "core/error.h"
#include "core/strings.h"
#include "eval/plot_canvas.h"
#include "eval/plots.h"
#include "test_util.h"
#include "train/checkpoint.h"
#include "train/run_folder.h"
#include "train/run_log.h"
#include "train/trainer.h"

using namespace softvit;
namespace fs = std::filesystem;

namespace {

RunConfig synthetic_run(const std::string& out, int epochs = 1) {
  RunConfig c = parse_config(
      "model: {name: vit_mini_patch4_28, depth: 1, embed_dim: 16, num_heads: 2}\n"
      "data: {source: synthetic, synthetic_samples: 64, synthetic_size: 28, synthetic_classes: 4, workers: "
      "1}\n"
      "train: {batch_size: 16, eval_batch_size: 32}\n"
      "schedule: {warmup_epochs: 0}\n"
      "run: {log_every: 1, threads: 1}\n",
      "synthetic");
  c.train.epochs = epochs;
  c.run.output = out;
  return c;
}

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Every file of a folder (relative name) with its bytes.
std::map<std::string, std::string> snapshot(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir))
    if (entry.is_regular_file())
      files[fs::relative(entry.path(), dir).string()] = read_file(entry.path().string());
  return files;
}

std::vector<int64_t> epochs_in_jsonl(const std::string& path) {
  std::vector<int64_t> epochs;
  for (const auto& line : lines_of(path)) {
    const auto record = nlohmann::json::parse(line);
    if (record["type"] == "epoch") epochs.push_back(record["epoch"].get<int64_t>());
  }
  return epochs;
}

TrainOptions resume_options() {
  TrainOptions o;
  o.resume = true;
  return o;
}

}  // namespace

TEST_CASE("run folder: a fresh run into a folder with an earlier run is refused, which stays resumable",
          "[train][run_folder]") {
  TempDir dir;
  const std::string run = dir.path("run");
  train(synthetic_run(run));
  const auto before = snapshot(run);
  REQUIRE(before.count("checkpoints/last.pt"));

  auto other = synthetic_run(run, 2);
  other.optim.lr = 3e-3;
  try {
    train(other);
    FAIL("a second run started in a used folder");
  } catch (const ConfigError& e) {
    const std::string m = e.what();
    CHECK(m.find(run) != std::string::npos);
    CHECK(m.find("earlier run") != std::string::npos);
    CHECK(m.find("checkpoints/") != std::string::npos);
    CHECK(m.find("--resume") != std::string::npos);
    CHECK(m.find("--overwrite") != std::string::npos);
  }
  CHECK(snapshot(run) == before);  // not a byte changed, train.log included

  const TrainResult more = train(run_config_of(run, {"train.epochs=2"}), resume_options());
  CHECK(more.epochs_done == 2);
  CHECK(epochs_in_jsonl(run + "/metrics.jsonl") == std::vector<int64_t>{1, 2});
  CHECK(lines_of(run + "/summary.csv").size() == 3);

  // A folder with only the log of a start that failed is not a run: it may be used.
  dir.write("failed/train.log", "error: data.root does not exist\n");
  CHECK(earlier_run_files(dir.path("failed")).empty());
  CHECK_NOTHROW(prepare_fresh_run_folder(dir.path("failed"), false, true));
}

TEST_CASE("run folder: --overwrite leaves nothing of the earlier run", "[train][run_folder]") {
  TempDir dir;
  const std::string run = dir.path("run");
  auto first = synthetic_run(run, 2);
  first.checkpoint.keep_top_k = 2;  // epoch_001.pt, epoch_002.pt
  train(first);
  REQUIRE(fs::exists(run + "/checkpoints/epoch_002.pt"));
  dir.write("run/notes.txt", "mine");  // not softvit's: kept

  TrainOptions overwrite;
  overwrite.overwrite = true;
  train(synthetic_run(run, 1), overwrite);
  std::vector<std::string> checkpoints;
  for (const auto& entry : fs::directory_iterator(run + "/checkpoints"))
    checkpoints.push_back(entry.path().filename().string());
  std::sort(checkpoints.begin(), checkpoints.end());
  CHECK(checkpoints == std::vector<std::string>{"best.pt", "last.pt"});
  CHECK(epochs_in_jsonl(run + "/metrics.jsonl") == std::vector<int64_t>{1});
  CHECK(lines_of(run + "/summary.csv").size() == 2);  // header and epoch 1
  CHECK(read_checkpoint_info(run + "/checkpoints/last.pt").epoch == 1);
  CHECK(read_file(run + "/notes.txt") == "mine");
  const auto log = read_file(run + "/train.log");
  CHECK(log.find("epoch 2/2") == std::string::npos);  // the earlier run's log is gone
}

TEST_CASE("run folder: a NaN in a run that replaced an earlier one names no checkpoint of that run",
          "[train][run_folder][nan]") {
  TempDir dir;
  const std::string run = dir.path("run");
  train(synthetic_run(run));
  REQUIRE(fs::exists(run + "/checkpoints/last.pt"));
  auto blow_up = synthetic_run(run);
  blow_up.optim.lr = 1e30;
  blow_up.schedule.min_lr = 0;
  TrainOptions overwrite;
  overwrite.overwrite = true;
  CHECK_THROWS_WITH(train(blow_up, overwrite), Catch::Contains("loss is") &&
                                                   Catch::Contains("before any checkpoint was written") &&
                                                   !Catch::Contains("last.pt"));
  CHECK_FALSE(fs::exists(run + "/checkpoints/last.pt"));  // the earlier run's is not left to resume
}

TEST_CASE("run folder: a resume refuses a last.pt that belongs to another run than config.yaml",
          "[train][run_folder][resume]") {
  TempDir dir;
  const std::string run = dir.path("run");
  train(synthetic_run(run));
  CHECK_NOTHROW(check_resumable(run));
  // What an older softvit left: a second run's config over the first run's checkpoints.
  auto second = synthetic_run(run);
  second.model.depth = 2;
  write_file_atomic(run + "/config.yaml", to_yaml(second));
  CHECK_THROWS_WITH(check_resumable(run), Catch::Contains("model.depth") && Catch::Contains("last.pt") &&
                                              Catch::Contains("--overwrite"));
  const auto cli = run_softvit("train --resume " + run);
  INFO(cli.text);
  CHECK(cli.status != 0);
  CHECK(cli.text.find("model.depth") != std::string::npos);

  fs::remove(run + "/checkpoints/last.pt");
  CHECK_THROWS_WITH(check_resumable(run), Catch::Contains("last.pt") && Catch::Contains("does not exist"));
}

TEST_CASE("run folder: the command line refuses a used folder and --overwrite replaces it", "[train][cli]") {
  TempDir dir;
  const std::string config =
      dir.write("s.yaml",
                "model: {name: vit_mini_patch4_28, depth: 1, embed_dim: 16, num_heads: 2}\n"
                "data: {source: synthetic, synthetic_samples: 32, synthetic_size: 28, synthetic_classes: 4, "
                "workers: 1}\n"
                "train: {epochs: 1, batch_size: 16}\n"
                "run: {threads: 1}\n");
  const std::string out = dir.path("run");
  REQUIRE(run_softvit("train --config " + config + " --output " + out).status == 0);
  const auto again = run_softvit("train --config " + config + " --output " + out);
  INFO(again.text);
  CHECK(again.status != 0);
  CHECK(again.text.find("--overwrite") != std::string::npos);
  CHECK(std::count(again.text.begin(), again.text.end(), '\n') == 1);  // one error line
  CHECK(run_softvit("train --config " + config + " --output " + out + " --overwrite").status == 0);
  CHECK(lines_of(out + "/summary.csv").size() == 2);
  CHECK(run_softvit("train --resume " + out + " --overwrite").status != 0);  // they exclude each other
}

TEST_CASE("run log: a resume drops the records a crash left past last.pt and keeps older columns",
          "[train][run_folder]") {
  TempDir dir;
  // An older softvit's summary.csv (fewer columns), and records of epoch 3 that last.pt (after
  // epoch 2, step 8) does not cover: the run repeats and records them again.
  dir.write("run/summary.csv",
            "epoch,train_loss,val_loss,val_top1,lr,img_s,seconds\n"
            "1,2.0,1.9,0.30,0.001,100.0,1.00\n"
            "2,1.5,1.4,0.50,0.001,100.0,1.00\n"
            "3,1.2,1.1,0.60,0.001,100.0,1.00\n");
  std::string jsonl;
  for (int step = 1; step <= 12; ++step)
    jsonl += "{\"type\":\"step\",\"step\":" + std::to_string(step) + "}\n";
  for (int epoch = 1; epoch <= 3; ++epoch)
    jsonl += "{\"type\":\"epoch\",\"epoch\":" + std::to_string(epoch) + "}\n";
  dir.write("run/metrics.jsonl", jsonl + "{\"type\":\"st");  // and a line cut by the crash
  {
    RunLog log(dir.path("run"), /*epochs_done=*/2, /*steps_done=*/8);
    log.epoch({3, 1.25, 1.15, 0.55, 0.001, 90.0, 1.5}, {{"val_auroc", 0.75}});
  }
  const auto csv = lines_of(dir.path("run/summary.csv"));
  REQUIRE(csv.size() == 4);
  CHECK(csv[0] ==
        "epoch,train_loss,val_loss,val_top1,val_auroc,ema_val_loss,ema_val_top1,ema_val_auroc,lr,"
        "img_s,seconds");
  CHECK(csv[2] == "2,1.5,1.4,0.50,,,,,0.001,100.0,1.00");
  CHECK(csv[3].rfind("3,1.250000,1.150000,0.550000,0.750000,,,,0.001,", 0) == 0);
  int steps = 0;
  std::vector<int64_t> epochs;
  for (const auto& line : lines_of(dir.path("run/metrics.jsonl"))) {
    const auto record = nlohmann::json::parse(line);
    if (record["type"] == "step") {
      ++steps;
      CHECK(record["step"].get<int>() <= 8);
    } else {
      epochs.push_back(record["epoch"].get<int64_t>());
    }
  }
  CHECK(steps == 8);
  CHECK(epochs == std::vector<int64_t>{1, 2, 3});
}

TEST_CASE("run log: summary.csv has the AUROC and EMA columns and curves.png plots the AUROC",
          "[train][run_folder][plots]") {
  TempDir dir;
  const std::string run = dir.path("run");
  auto c = synthetic_run(run, 2);
  c.train.ema_decay = 0.9;
  train(c);
  const auto csv = lines_of(run + "/summary.csv");
  REQUIRE(csv.size() == 3);
  const auto header = split(csv[0], ','), row = split(csv[2], ',');
  REQUIRE(header.size() == row.size());
  for (const char* column : {"val_auroc", "ema_val_loss", "ema_val_top1", "ema_val_auroc"}) {
    INFO(column);
    const auto at = std::find(header.begin(), header.end(), column);
    REQUIRE(at != header.end());
    const double value = std::stod(row[static_cast<size_t>(at - header.begin())]);
    CHECK(value >= 0);
  }
  const auto history = read_training_history(run + "/summary.csv");
  std::vector<std::string> scores;
  for (const auto& [name, values] : history.val_scores) scores.push_back(name);
  CHECK(scores == std::vector<std::string>{"val_top1", "val_auroc", "ema_val_top1", "ema_val_auroc"});
  CHECK(history.ema_val_loss.size() == 2);

  // The middle panel (validation scores) draws the AUROC in the second palette colour.
  const cv::Mat curves = cv::imread(run + "/curves.png");
  REQUIRE(curves.cols == 3 * 620);
  cv::Mat mask;
  cv::inRange(curves(cv::Rect(620, 0, 620, curves.rows)), plot::palette(1), plot::palette(1), mask);
  CHECK(cv::countNonZero(mask) > 50);
}
