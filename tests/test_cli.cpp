// The softvit binary end to end: a short real training run, eval of its checkpoint, and the
// one-line errors of bad input.
#include <nlohmann/json.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <chrono>
#include <thread>

#include "catch.h"
#include "test_data.h"
#include "test_util.h"

namespace fs = std::filesystem;

namespace {

using Output = SoftvitRun;

Output run(const std::string& args) { return run_softvit(args); }

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// A small fast config: 2048 training images, 256 test images, a 2-block ViT.
std::string small_config(const TempDir& dir) {
  return dir.write("small.yaml",
                   "model: {name: vit_mini_patch4_28, depth: 2, embed_dim: 32, num_heads: 2}\n"
                   "data: {limit_train: 2048, limit_eval: 256, val_split: test}\n"
                   "train: {epochs: 2, batch_size: 64}\n"
                   "schedule: {warmup_epochs: 0.1}\n"
                   "run: {log_every: 16, threads: 1}\n");
}

}  // namespace

TEST_CASE("cli: train writes the run folder and eval reads its checkpoint", "[cli]") {
  if (!softvit::testing::fashion_mnist_available()) return;
  TempDir dir;
  const std::string out = dir.path("run");
  const Output train =
      run("train --config " + small_config(dir) + " --output " + out + " --set optim.lr=3e-3");
  INFO(train.text);
  REQUIRE(train.status == 0);
  CHECK(train.text.find("img/s") != std::string::npos);
  CHECK(train.text.find("ETA") != std::string::npos);
  for (const char* file : {"config.yaml", "train.log", "metrics.jsonl", "summary.csv", "curves.png",
                           "checkpoints/last.pt", "checkpoints/best.pt"})
    CHECK(fs::exists(fs::path(out) / file));

  const auto summary = lines_of(out + "/summary.csv");
  REQUIRE(summary.size() == 3);
  CHECK(summary[0] ==
        "epoch,train_loss,val_loss,val_top1,val_auroc,ema_val_loss,ema_val_top1,ema_val_auroc,lr,img_s,"
        "seconds");
  int steps = 0, epochs = 0;
  for (const auto& line : lines_of(out + "/metrics.jsonl")) {
    const auto record = nlohmann::json::parse(line);
    if (record["type"] == "step") ++steps;
    if (record["type"] == "epoch") {
      ++epochs;
      CHECK(record["val_top1"].get<double>() > 0.25);  // well above chance (0.1) even this short
    }
  }
  CHECK(steps == 4);  // 32 steps per epoch, logged every 16
  CHECK(epochs == 2);
  const auto config = lines_of(out + "/config.yaml");
  CHECK(std::find(config.begin(), config.end(), "  lr: 0.003") != config.end());

  const Output eval = run("eval --checkpoint " + out + "/checkpoints/best.pt --output " + dir.path("m.json"));
  INFO(eval.text);
  REQUIRE(eval.status == 0);
  std::ifstream in(dir.path("m.json"));
  const auto metrics = nlohmann::json::parse(in);
  CHECK(metrics["n"] == 10000);  // the whole test split: the run's data.limit_eval (256) is not inherited
  CHECK(metrics["top1"].get<double>() > 0.25);
  CHECK(metrics["loss"].get<double>() > 0);
  CHECK(metrics["confusion_matrix"].size() == 10);
  CHECK(metrics["auroc_macro"].get<double>() > 0.6);
  CHECK(metrics["per_class"].size() == 10);
  CHECK(metrics["ci95"]["top1"]["low"].get<double>() <= metrics["top1"].get<double>());
  for (const char* file : {"m_predictions.csv", "m_confusion_matrix.png", "m_roc_curves.png"})
    CHECK(fs::exists(dir.path(file)));
  CHECK(lines_of(dir.path("m_predictions.csv")).size() == 10001);
  CHECK(metrics["weights"] == "model");  // no EMA in this run

  // A run ranked by its EMA: auto evaluates the EMA weights, which differ from the model's.
  const std::string ema_out = dir.path("ema_run");
  REQUIRE(run("train --config " + small_config(dir) + " --output " + ema_out +
              " --set train.epochs=1 --set train.ema_decay=0.9 --set checkpoint.best_metric=ema_val_top1")
              .status == 0);
  auto eval_json = [&](const std::string& weights) {
    const Output e = run("eval --checkpoint " + ema_out + "/checkpoints/best.pt --weights " + weights +
                         " --set data.limit_eval=256 --set eval.bootstrap=0");
    INFO(e.text);
    REQUIRE(e.status == 0);
    return nlohmann::json::parse(e.text.substr(e.text.find('{')));
  };
  const auto automatic = eval_json("auto"), ema = eval_json("ema"), model = eval_json("model");
  CHECK(automatic["weights"] == "ema");
  CHECK(automatic["loss"] == ema["loss"]);
  CHECK(model["weights"] == "model");
  CHECK(model["loss"] != ema["loss"]);
}

TEST_CASE("cli: bad input ends in one error line and a non-zero exit", "[cli]") {
  TempDir dir;
  const std::string config = small_config(dir);

  auto one_error = [](const Output& o, const std::string& needle) {
    INFO(o.text);
    CHECK(o.status != 0);
    CHECK(o.text.find(needle) != std::string::npos);
    CHECK(std::count(o.text.begin(), o.text.end(), '\n') == 1);
  };
  one_error(run("train --config " + dir.write("typo.yaml", "train:\n  epohcs: 3\n")), "train.epochs");
  one_error(run("train --config " + config + " --set data.root=" + dir.path("nowhere")), "nowhere");
  one_error(run("train --config " + config + " --set model.depth=many"), "model.depth");

  // A checkpoint from another model, evaluated with a config that asks for a deeper one.
  if (!softvit::testing::fashion_mnist_available()) return;
  const std::string out = dir.path("run");
  REQUIRE(run("train --config " + config + " --output " + out + " --set train.epochs=1").status == 0);
  one_error(
      run("eval --checkpoint " + out + "/checkpoints/last.pt --config " + config + " --set model.depth=3"),
      "blocks.2");
  one_error(run("eval --checkpoint " + dir.path("none.pt")), "none.pt");

  // A config with a data section only: the model stays the checkpoint's (not the default model).
  const std::string data_only =
      dir.write("data_only.yaml", "data: {test_split: train, limit_eval: 32}\neval: {bootstrap: 0}\n");
  const Output e = run("eval --checkpoint " + out + "/checkpoints/last.pt --config " + data_only +
                       " --set data.limit_eval=64");  // a limit only from eval's own command line
  INFO(e.text);
  REQUIRE(e.status == 0);
  CHECK(e.text.find("on train (64 images)") != std::string::npos);  // its data section was used
}

TEST_CASE("cli: config --defaults lists every option with its help", "[cli]") {
  const Output o = run("config --defaults");
  REQUIRE(o.status == 0);
  CHECK(o.text.find("model:\n  name: vit_mini_patch4_28  # string:") != std::string::npos);
  CHECK(o.text.find("  epochs: 10  # int: passes over the training split") != std::string::npos);
}

TEST_CASE("cli: SIGINT saves and exits and --resume finishes the run", "[cli][resume]") {
  if (!softvit::testing::fashion_mnist_available()) return;
  TempDir dir;
  const std::string out = dir.path("run");
  const std::string config =
      dir.write("long.yaml",
                "model: {name: vit_mini_patch4_28, depth: 2, embed_dim: 32, num_heads: 2}\n"
                "data: {limit_train: 4096, limit_eval: 128, val_split: test}\n"
                "train: {epochs: 2, batch_size: 32}\n"
                "run: {log_every: 1, threads: 1}\n");
  std::fflush(stdout);  // or the child's freopen would print Catch's buffered output again
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    const std::string log = dir.path("train.out");
    freopen(log.c_str(), "w", stdout);
    freopen(log.c_str(), "a", stderr);
    execl(SOFTVIT_BINARY, SOFTVIT_BINARY, "train", "--config", config.c_str(), "--output", out.c_str(),
          nullptr);
    _exit(127);
  }
  // Wait for a few logged steps, then interrupt.
  for (int i = 0; i < 600 && lines_of(out + "/metrics.jsonl").size() < 5; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  kill(child, SIGINT);
  int status = 0;
  waitpid(child, &status, 0);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 130);
  std::ifstream log(dir.path("train.out"));
  const std::string text((std::istreambuf_iterator<char>(log)), {});
  CHECK(text.find("--resume") != std::string::npos);
  REQUIRE(fs::exists(out + "/checkpoints/last.pt"));

  const Output resumed = run("train --resume " + out + " --set train.epochs=1");
  INFO(resumed.text);
  CHECK(resumed.status == 0);
  CHECK(resumed.text.find("resumed from") != std::string::npos);
  CHECK(lines_of(out + "/summary.csv").size() == 2);  // header + epoch 1
}
