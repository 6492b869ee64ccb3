#include "train/trainer.h"

#include <chrono>
#include <cmath>
#include <filesystem>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/strings.h"
#include "data/loader.h"
#include "eval/evaluate.h"
#include "log/log.h"
#include "models/registry.h"
#include "train/checkpoint.h"
#include "train/device.h"
#include "train/optimizer.h"
#include "train/run_log.h"
#include "train/schedule.h"

namespace softvit {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Cross-entropy against soft targets (mixup/cutmix, label smoothing already folded in).
torch::Tensor soft_target_cross_entropy(const torch::Tensor& logits, const torch::Tensor& targets) {
  return torch::sum(-targets * torch::log_softmax(logits, -1), -1).mean();
}

}  // namespace

TrainResult train(const RunConfig& config) {
  const auto run_start = Clock::now();
  const std::string run_dir = config.run.output;
  fs::create_directories(fs::path(run_dir) / "checkpoints");
  log::add_file((fs::path(run_dir) / "train.log").string());
  const std::string config_yaml = to_yaml(config);
  write_file_atomic((fs::path(run_dir) / "config.yaml").string(), config_yaml);

  const int threads = set_threads(config.run.threads);
  torch::manual_seed(static_cast<uint64_t>(config.run.seed));
  const torch::Device device = parse_device(config.run.device);

  const auto& data = config.data;
  auto train_loader = make_loader(config, data.train_split, true);
  auto val_loader = make_loader(config, data.val_split, false);
  const auto& classes = train_loader->classes();
  log::info(cat("data: ", data.source, " ", data.root, ": ", train_loader->source().size(), " train (",
                data.train_split, "), ", val_loader->source().size(), " val (", data.val_split, "), ",
                classes.size(), " classes, ", train_loader->workers(), " loader threads"));

  ModelPtr model = build_model(config.model, static_cast<int64_t>(classes.size()), train_loader->channels());
  model->to(device);
  log::info(cat("model: ", model->name(), ", ", count_parameters(*model), " parameters, device ", device.str(),
                ", ", threads, " threads"));

  const int64_t steps_per_epoch = train_loader->batches_per_epoch();
  if (steps_per_epoch == 0)
    throw ConfigError(cat("train.batch_size ", config.train.batch_size, " is larger than the training split (",
                          train_loader->source().size(), " samples)"));
  const int64_t total_steps = steps_per_epoch * config.train.epochs;

  auto optimizer = make_optimizer(config.optim, *model);
  LrSchedule schedule;
  schedule.kind = config.schedule.name;
  schedule.base_lr = config.optim.lr;
  schedule.warmup_lr = config.schedule.warmup_lr;
  schedule.min_lr = config.schedule.min_lr;
  schedule.warmup_steps = static_cast<int64_t>(std::llround(config.schedule.warmup_epochs * steps_per_epoch));
  schedule.total_steps = total_steps;

  RunLog run_log(run_dir);
  const auto loss_options =
      torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(config.train.label_smoothing);

  TrainResult result;
  result.run_dir = run_dir;
  int64_t step = 0;
  double train_seconds = 0;
  int64_t images_seen = 0;
  for (int64_t epoch = 0; epoch < config.train.epochs; ++epoch) {
    const auto epoch_start = Clock::now();
    model->train();
    train_loader->start_epoch(epoch);
    double epoch_loss = 0;
    int64_t epoch_batches = 0, epoch_images = 0;
    double window_loss = 0;
    int64_t window_images = 0;
    auto window_start = Clock::now();
    double lr = schedule.at(step);
    while (auto batch = train_loader->next()) {
      lr = schedule.at(step);
      set_learning_rate(*optimizer, lr);
      auto images = batch->images.to(device, true);
      auto labels = batch->labels.to(device, true);
      optimizer->zero_grad();
      auto logits = model->forward(images);
      auto loss = batch->targets.defined()
                      ? soft_target_cross_entropy(logits, batch->targets.to(device, true))
                      : torch::nn::functional::cross_entropy(logits, labels, loss_options);
      loss.backward();
      if (config.train.clip_grad > 0) torch::nn::utils::clip_grad_norm_(model->parameters(), config.train.clip_grad);
      optimizer->step();

      const double loss_value = loss.item<double>();
      if (!std::isfinite(loss_value))
        throw TrainError(cat("loss is ", loss_value, " at step ", step + 1, " (epoch ", epoch + 1,
                             "); the last good checkpoint is in ", run_dir, "/checkpoints"));
      ++step;
      ++epoch_batches;
      epoch_loss += loss_value;
      window_loss += loss_value * labels.size(0);
      window_images += labels.size(0);
      epoch_images += labels.size(0);

      if (step % config.run.log_every == 0 || epoch_batches == steps_per_epoch) {
        const double window_s = seconds_since(window_start);
        const double img_s = window_images / std::max(window_s, 1e-9);
        const double done_s = train_seconds + seconds_since(epoch_start);
        const double eta = done_s / step * (total_steps - step);
        log::info(cat("epoch ", epoch + 1, "/", config.train.epochs, " step ", epoch_batches, "/", steps_per_epoch,
                      " loss ", fixed(window_loss / window_images, 4), " lr ", lr, " ", fixed(img_s, 0),
                      " img/s ETA ", duration(eta)));
        run_log.step({{"epoch", epoch + 1}, {"step", step}, {"loss", window_loss / window_images}, {"lr", lr},
                      {"img_s", img_s}});
        window_loss = 0;
        window_images = 0;
        window_start = Clock::now();
      }
    }
    const double epoch_train_s = seconds_since(epoch_start);
    train_seconds += epoch_train_s;
    images_seen += epoch_images;

    const EvalResult val = evaluate(*model, *val_loader, device);
    EpochSummary summary{epoch + 1,   epoch_loss / std::max<int64_t>(1, epoch_batches),
                         val.loss,    val.top1,
                         lr,          epoch_images / std::max(epoch_train_s, 1e-9),
                         seconds_since(epoch_start)};
    run_log.epoch(summary, {{"val_top5", val.top5}, {"step", step}});
    log::info(cat("epoch ", epoch + 1, "/", config.train.epochs, " done: train loss ", fixed(summary.train_loss, 4),
                  ", val loss ", fixed(val.loss, 4), ", val top-1 ", fixed(100 * val.top1, 2), "%, ",
                  fixed(summary.img_s, 0), " img/s, ", duration(summary.seconds)));

    const bool is_best = epoch == 0 || val.top1 > result.best_val_top1;
    if (is_best) {
      result.best_val_top1 = val.top1;
      result.best_epoch = epoch + 1;
    }
    CheckpointInfo info{model->name(), config_yaml, classes, epoch + 1, step, result.best_val_top1};
    const auto checkpoints = fs::path(run_dir) / "checkpoints";
    save_checkpoint((checkpoints / "last.pt").string(), *model, optimizer.get(), info);
    if (is_best) save_checkpoint((checkpoints / "best.pt").string(), *model, nullptr, info);
    result.final_val_top1 = val.top1;
  }
  result.seconds = seconds_since(run_start);
  result.img_s = images_seen / std::max(train_seconds, 1e-9);
  log::info(cat("finished: best val top-1 ", fixed(100 * result.best_val_top1, 2), "% at epoch ", result.best_epoch,
                ", ", duration(result.seconds), ", ", fixed(result.img_s, 0), " img/s; results in ", run_dir));
  log::close_file();
  return result;
}

}  // namespace softvit
