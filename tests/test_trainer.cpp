// The trainer end to end on small slices of Fashion-MNIST: exact resume, accumulation, clipping,
// NaN stop, and checkpoints that survive being killed mid-write.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <torch/cuda.h>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "catch.h"
#include "core/config.h"
#include "core/error.h"
#include "data/shard_test_util.h"
#include "models/registry.h"
#include "test_data.h"
#include "test_util.h"
#include "train/checkpoint.h"
#include "train/trainer.h"

using namespace softvit;
namespace fs = std::filesystem;

namespace {

RunConfig tiny_run(const std::string& out) {
  RunConfig c = parse_config(
      "model: {name: vit_mini_patch4_28, depth: 1, embed_dim: 16, num_heads: 2, drop_path: 0.1, drop_rate: "
      "0.1}\n"
      "data: {limit_train: 256, limit_eval: 64, pad_crop: 2, hflip: 0.5, val_split: test}\n"
      "train: {epochs: 3, batch_size: 32, ema_decay: 0.9}\n"
      "schedule: {warmup_epochs: 0.5}\n"
      "run: {log_every: 1, threads: 1}\n",
      "tiny");
  c.run.output = out;
  return c;
}

// Loss of every optimizer step, from metrics.jsonl (log_every 1).
std::map<int64_t, double> step_losses(const std::string& run_dir) {
  std::map<int64_t, double> losses;
  std::ifstream in(run_dir + "/metrics.jsonl");
  for (std::string line; std::getline(in, line);) {
    const auto r = nlohmann::json::parse(line);
    if (r["type"] == "step") losses[r["step"].get<int64_t>()] = r["loss"].get<double>();
  }
  return losses;
}

std::map<std::string, torch::Tensor> weights_of(const std::string& checkpoint) {
  const auto info = read_checkpoint_info(checkpoint);
  const RunConfig config = parse_config(info.config_yaml, checkpoint);
  auto model = build_model(config.model, static_cast<int64_t>(info.classes.size()), 1);
  load_checkpoint(checkpoint, *model);
  std::map<std::string, torch::Tensor> out;
  for (const auto& p : model->named_parameters()) out[p.key()] = p.value().detach().clone();
  return out;
}

void check_same_weights(const std::string& a, const std::string& b, double tolerance) {
  const auto wa = weights_of(a), wb = weights_of(b);
  for (const auto& [name, tensor] : wa) {
    INFO(name);
    CHECK(torch::allclose(tensor, wb.at(name), tolerance, tolerance));
  }
}

}  // namespace

TEST_CASE("trainer: a run stopped mid-epoch and resumed equals an uninterrupted run", "[train][resume]") {
  if (!testing::fashion_mnist_available()) return;
  TempDir dir;
  const auto whole = train(tiny_run(dir.path("whole")));
  CHECK(whole.epochs_done == 3);

  // Stop in the middle of epoch 2 (8 steps per epoch), then resume to the end.
  TrainOptions budget;
  budget.stop_after_steps = 11;
  const auto first = train(tiny_run(dir.path("split")), budget);
  CHECK(first.stopped_early);
  const auto saved = read_checkpoint_info(dir.path("split/checkpoints/last.pt"));
  CHECK(saved.step == 11);
  CHECK(saved.epoch == 1);
  CHECK(saved.batch_in_epoch == 3);
  TrainOptions resume;
  resume.resume = true;
  const auto second = train(run_config_of(dir.path("split"), {}), resume);
  CHECK(second.epochs_done == 3);

  const auto a = step_losses(dir.path("whole")), b = step_losses(dir.path("split"));
  REQUIRE(a.size() == 24);
  REQUIRE(b.size() == 24);
  for (const auto& [step, loss] : a) {
    INFO("step " << step);
    CHECK(b.at(step) == loss);  // bit-exact on the CPU
  }
  check_same_weights(dir.path("whole/checkpoints/last.pt"), dir.path("split/checkpoints/last.pt"), 0.0);
}

TEST_CASE("trainer: gradient accumulation equals the larger batch", "[train][accum]") {
  if (!testing::fashion_mnist_available()) return;
  TempDir dir;
  auto big = tiny_run(dir.path("big"));
  big.data.pad_crop = 0;  // augmentation draws per batch differ in size: leave them out
  big.data.hflip = 0;
  big.model.drop_path = big.model.drop_rate = 0;
  big.train.epochs = 1;
  auto accumulated = big;
  accumulated.run.output = dir.path("acc");
  accumulated.train.batch_size = 16;
  accumulated.train.accum_steps = 2;
  train(big);
  train(accumulated);
  check_same_weights(dir.path("big/checkpoints/last.pt"), dir.path("acc/checkpoints/last.pt"), 1e-5);
}

TEST_CASE("trainer: gradient clipping bounds every update", "[train][clip]") {
  if (!testing::fashion_mnist_available()) return;
  TempDir dir;
  auto c = tiny_run(dir.path("clip"));
  c.train.epochs = 1;
  c.train.clip_grad = 1e-3;
  c.train.ema_decay = 0;
  c.optim.name = "sgd";
  c.optim.betas = {0.0, 0.999};  // no momentum: each update is lr * clipped gradient
  c.optim.weight_decay = 0;
  c.schedule.name = "constant";
  c.schedule.warmup_epochs = 0;
  c.optim.lr = 1.0;
  c.data.limit_train = 32;  // one step
  torch::manual_seed(static_cast<uint64_t>(c.run.seed));
  auto initial = build_model(c.model, 10, 1);
  train(c);
  const auto after = weights_of(dir.path("clip/checkpoints/last.pt"));
  double squared = 0;
  for (const auto& p : initial->named_parameters())
    squared += (after.at(p.key()) - p.value()).pow(2).sum().item<double>();
  CHECK(std::sqrt(squared) <= 1e-3 * (1 + 1e-4));  // the whole update's norm is lr * clip at most
  CHECK(std::sqrt(squared) > 0);
}

TEST_CASE("trainer: a NaN loss stops with the step and keeps the last good checkpoint", "[train][nan]") {
  if (!testing::fashion_mnist_available()) return;
  TempDir dir;
  auto c = tiny_run(dir.path("nan"));
  c.train.epochs = 1;
  train(c);
  const auto good = read_checkpoint_info(dir.path("nan/checkpoints/last.pt"));
  // Resume into a second epoch with a learning rate that blows the weights up.
  TrainOptions resume;
  resume.resume = true;
  auto blow_up =
      run_config_of(dir.path("nan"), {"train.epochs=2", "optim.lr=1e30", "schedule.warmup_epochs=0"});
  try {
    train(blow_up, resume);
    FAIL("no error for a NaN loss");
  } catch (const TrainError& e) {
    const std::string m = e.what();
    CHECK(m.find("at step") != std::string::npos);
    CHECK(m.find("last.pt") != std::string::npos);
  }
  const auto kept = read_checkpoint_info(dir.path("nan/checkpoints/last.pt"));
  CHECK(kept.step == good.step);
  CHECK(kept.epoch == 1);
}

TEST_CASE("trainer: a resume that fails to start leaves the run in its folder resumable", "[train][resume]") {
  if (!testing::fashion_mnist_available()) return;
  TempDir dir;
  auto c = tiny_run(dir.path("run"));
  c.train.epochs = 1;
  train(c);
  const auto read = [&] {
    std::ifstream in(dir.path("run/config.yaml"));
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  };
  const std::string saved = read();
  TrainOptions resume;
  resume.resume = true;
  CHECK_THROWS_AS(train(run_config_of(dir.path("run"), {"model.name=no_such_model"}), resume), ConfigError);
  CHECK(read() == saved);  // not the broken start's config
  const TrainResult more = train(run_config_of(dir.path("run"), {"train.epochs=2"}), resume);
  CHECK(more.epochs_done == 2);
  CHECK(read_checkpoint_info(dir.path("run/checkpoints/last.pt")).epoch == 2);
}

TEST_CASE("trainer: a NaN loss before the first checkpoint says that nothing was saved", "[train][nan]") {
  if (!testing::fashion_mnist_available()) return;
  TempDir dir;
  auto c = tiny_run(dir.path("early"));
  c.optim.lr = 1e30;
  c.schedule.warmup_epochs = 0;
  try {
    train(c);
    FAIL("no error for a NaN loss");
  } catch (const TrainError& e) {
    const std::string m = e.what();
    CHECK(m.find("at step") != std::string::npos);
    CHECK(m.find("before any checkpoint was written") != std::string::npos);
    CHECK(m.find("last good checkpoint") == std::string::npos);  // there is none to point to
  }
  CHECK_FALSE(std::filesystem::exists(dir.path("early/checkpoints/last.pt")));
}

TEST_CASE("checkpoint: a writer killed at any moment leaves a loadable checkpoint", "[train][checkpoint]") {
  // The writer is a forked child, and save_checkpoint records every CUDA device's RNG state: CUDA
  // cannot be used in a child forked after the parent started it.
  if (torch::cuda::is_available()) {
    WARN("softvit test skipped: a forked writer cannot use CUDA (this test runs on CPU-only machines)");
    return;
  }
  TempDir dir;
  const std::string path = dir.path("last.pt");
  ModelSection s;
  s.name = "deit_tiny";  // 23 MB: long enough writes to be killed in the middle
  auto model = build_model(s, 10, 3);
  CheckpointInfo info;
  info.model_name = "deit_tiny";
  save_checkpoint(path, *model, nullptr, info);
  for (int attempt = 0; attempt < 4; ++attempt) {
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      try {
        for (int64_t i = 1;; ++i) {  // keeps writing until killed
          info.step = i;
          save_checkpoint(path, *model, nullptr, info);
        }
      } catch (...) {
        _exit(3);  // never unwind into the parent's test (its TempDir would remove the folder)
      }
    }
    // Killed only once the child has landed a write of its own (on a loaded machine a fixed delay
    // may end before the first one), then some way into a later write.
    const int64_t before = read_checkpoint_info(path).step;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (read_checkpoint_info(path).step == before && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::this_thread::sleep_for(std::chrono::milliseconds(40 + 97 * attempt));
    kill(child, SIGKILL);
    int status = 0;
    waitpid(child, &status, 0);
    CHECK(WIFSIGNALED(status));  // still writing when killed, not failed before
    auto fresh = build_model(s, 10, 3);
    CHECK_NOTHROW(load_checkpoint(path, *fresh));
  }
  CHECK(read_checkpoint_info(path).step > 0);  // the children's writes landed
}

TEST_CASE("trainer: the run log reports the share of step time spent waiting for data",
          "[train][data_wait]") {
  if (!testing::fashion_mnist_available()) return;
  TempDir dir;
  auto config = tiny_run(dir.path("run"));
  config.train.epochs = 1;
  train(config);
  std::ifstream in(dir.path("run/metrics.jsonl"));
  int steps = 0, epochs = 0;
  for (std::string line; std::getline(in, line);) {
    const auto r = nlohmann::json::parse(line);
    INFO(line);
    REQUIRE(r.contains("data_wait"));
    const double wait = r["data_wait"].get<double>();
    CHECK(wait >= 0.0);
    CHECK(wait <= 1.0);
    (r["type"] == "step" ? steps : epochs)++;
  }
  CHECK(steps == 256 / 32);
  CHECK(epochs == 1);
}

TEST_CASE("trainer: best.pt by validation AUROC is the epoch with the highest AUROC", "[train][auroc]") {
  if (!testing::fashion_mnist_available()) return;
  TempDir dir;
  auto config = tiny_run(dir.path("run"));
  config.checkpoint.best_metric = "ema_val_auroc";
  train(config);
  std::ifstream in(dir.path("run/metrics.jsonl"));
  int64_t best_epoch = 0;
  double best = -1;
  for (std::string line; std::getline(in, line);) {
    const auto r = nlohmann::json::parse(line);
    if (r["type"] != "epoch") continue;
    INFO(line);
    REQUIRE(r.contains("ema_val_auroc"));
    REQUIRE(r.contains("val_auroc"));
    const double auroc = r["ema_val_auroc"].get<double>();
    CHECK(auroc >= 0.0);
    CHECK(auroc <= 1.0);
    if (auroc > best) best = auroc, best_epoch = r["epoch"].get<int64_t>();
  }
  const auto info = read_checkpoint_info(dir.path("run/checkpoints/best.pt"));
  CHECK(info.epoch == best_epoch);
  CHECK(info.best_metric == Approx(best));
}

TEST_CASE("trainer: a run on WebDataset shards stopped mid-epoch and resumed equals an uninterrupted run",
          "[train][resume][webdataset]") {
  TempDir dir;
  const std::string shards = dir.path("shards");
  for (int s = 0; s < 4; ++s)
    testing::write_shard(shards + "/set-train-00000" + std::to_string(s) + ".tar",
                         testing::samples(16 * s, 16, 3));
  testing::write_shard(shards + "/set-val-000000.tar", testing::samples(100, 12, 3));
  auto config = [&](const std::string& out) {
    RunConfig c = tiny_run(out);
    c.model.img_size = 8;
    c.model.patch_size = 4;
    const DataSection defaults;  // a named object: GCC 12 -O3 warns (falsely) on the temporary
    c.data = defaults;
    c.data.source = "webdataset";
    c.data.root = shards;
    c.data.shards = {"set-{split}-*.tar"};
    c.data.val_split = "val";
    c.data.channels = 1;  // weights_of builds 1-channel models
    c.data.train_transforms = {"random_resized_crop(size=8)", "hflip"};
    c.data.shuffle_buffer = 8;
    c.data.shard_streams = 2;
    c.data.workers = 2;
    c.train.epochs = 2;
    c.train.batch_size = 8;  // 64 samples: 8 steps per epoch
    return c;
  };
  train(config(dir.path("whole")));
  TrainOptions budget;
  budget.stop_after_steps = 11;
  CHECK(train(config(dir.path("split")), budget).stopped_early);
  CHECK(read_checkpoint_info(dir.path("split/checkpoints/last.pt")).batch_in_epoch == 3);
  TrainOptions resume;
  resume.resume = true;
  CHECK(train(run_config_of(dir.path("split"), {}), resume).epochs_done == 2);
  const auto a = step_losses(dir.path("whole")), b = step_losses(dir.path("split"));
  REQUIRE(a.size() == 16);
  REQUIRE(b.size() == 16);
  for (const auto& [step, loss] : a) {
    INFO("step " << step);
    CHECK(b.at(step) == loss);  // the batches after the skip are those of the uninterrupted epoch
  }
  check_same_weights(dir.path("whole/checkpoints/last.pt"), dir.path("split/checkpoints/last.pt"), 0.0);
}
