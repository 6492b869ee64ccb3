// The collapse guard: when it speaks (loss at ln C for a whole epoch after being lower; val top-1
// back at chance after being above it), when it stays quiet, and a forced collapse in a real run.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "catch.h"
#include "core/config.h"
#include "test_util.h"
#include "train/collapse_guard.h"
#include "train/trainer.h"

using namespace softvit;

namespace {

EpochOutcome epoch_at(int64_t epoch, double loss, std::optional<double> top1 = std::nullopt,
                      double chance = 0.1) {
  EpochOutcome o;
  o.epoch = epoch;
  o.train_loss = o.window_loss_min = o.window_loss_max = loss;
  o.val_top1 = top1;
  o.val_chance = chance;
  return o;
}

}  // namespace

TEST_CASE("collapse guard: a loss back at ln C after being lower is reported once", "[train][collapse]") {
  CollapseGuard guard(10);
  const double chance = std::log(10.0);
  CHECK_FALSE(guard.observe(epoch_at(1, 1.0 * chance)));  // the first epochs start at chance: quiet
  CHECK_FALSE(guard.observe(epoch_at(2, 0.6 * chance)));
  const auto message = guard.observe(epoch_at(3, chance));
  REQUIRE(message);
  CHECK_THAT(*message, Catch::Matchers::Contains("epoch 3"));
  CHECK_THAT(*message, Catch::Matchers::Contains("learning rate"));
  CHECK_THAT(*message, Catch::Matchers::Contains("--lr-find"));
  CHECK_FALSE(guard.observe(epoch_at(4, chance)));  // once per run
}

TEST_CASE("collapse guard: an epoch only partly at chance, or a loss that never fell, is no collapse",
          "[train][collapse]") {
  const double chance = std::log(10.0);
  CollapseGuard never_learned(10);
  for (int e = 1; e <= 5; ++e) CHECK_FALSE(never_learned.observe(epoch_at(e, chance)));

  CollapseGuard partly(10);
  CHECK_FALSE(partly.observe(epoch_at(1, 0.5 * chance)));
  EpochOutcome spike = epoch_at(2, 0.99 * chance);
  spike.window_loss_min = 0.7 * chance;  // some windows of the epoch were still learning
  CHECK_FALSE(partly.observe(spike));
}

TEST_CASE("collapse guard: validation top-1 back at chance after being above it", "[train][collapse]") {
  CollapseGuard guard(4);
  CHECK_FALSE(guard.observe(epoch_at(1, 1.0, 0.29, 0.25)));  // above chance, but not clearly (< +5 points)
  CHECK_FALSE(guard.observe(epoch_at(2, 0.9, 0.255, 0.25)));
  CHECK_FALSE(guard.observe(epoch_at(3, 0.8, 0.60, 0.25)));
  const auto message = guard.observe(epoch_at(4, 0.8, 0.255, 0.25));
  REQUIRE(message);
  CHECK_THAT(*message, Catch::Matchers::Contains("validation top-1 fell to chance"));
}

TEST_CASE("collapse guard: remembered epochs count as reached, and report nothing", "[train][collapse]") {
  CollapseGuard guard(4);
  guard.remember(0.5, 0.9);
  const auto message = guard.observe(epoch_at(5, std::log(4.0), 0.25, 0.25));
  REQUIRE(message);
  CHECK_THAT(*message, Catch::Matchers::Contains("after reaching 0.500"));
  CHECK_THAT(*message, Catch::Matchers::Contains("after reaching 90.00%"));
}

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("collapse guard: a run forced to chance after a resume is warned about, or stopped",
          "[train][collapse]") {
  // Two epochs learn the synthetic stripes; the run is then resumed with a label smoothing of 0.99,
  // whose targets are all but uniform, which drives the training loss to ln 4 and keeps it there: the
  // guard must compare with the epochs before the resume.
  TempDir dir;
  const std::string yaml =
      "model: {name: vit_mini_patch4_28, depth: 1, embed_dim: 16, num_heads: 2}\n"
      "data: {source: synthetic, synthetic_samples: 256, synthetic_size: 28, synthetic_classes: 4, channels: "
      "1,"
      " val_split: test, workers: 1}\n"
      "train: {epochs: 8, batch_size: 32, label_smoothing: 0.0}\n"
      "optim: {lr: 0.003, weight_decay: 0.0}\n"
      "schedule: {name: constant, warmup_epochs: 0}\n"
      "run: {log_every: 2, threads: 1}\n";
  for (const std::string policy : {"warn", "stop"}) {
    const std::string out = dir.path("run_" + policy);
    RunConfig first = parse_config(yaml, "collapse", {"train.on_collapse=" + policy});
    first.run.output = out;
    TrainOptions stop_after_two;
    stop_after_two.stop_after_steps = 16;  // two epochs of 8 steps
    train(first, stop_after_two);
    CHECK_THAT(read_text(out + "/train.log"), !Catch::Matchers::Contains("training has collapsed"));

    TrainOptions resume;
    resume.resume = true;
    const TrainResult result = train(run_config_of(out, {"train.label_smoothing=0.99"}), resume);
    const std::string log = read_text(out + "/train.log");
    INFO(log);
    CHECK_THAT(log, Catch::Matchers::Contains("training has collapsed: the training loss sat at chance"));
    if (policy == "stop") {
      CHECK(result.stopped_early);
      CHECK(result.epochs_done < 8);
    } else {
      CHECK_FALSE(result.stopped_early);
      CHECK(result.epochs_done == 8);
    }
  }
}
