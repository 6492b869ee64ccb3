#include "train/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <optional>

#include "core/atomic_file.h"
#include "core/config.h"
#include "core/error.h"
#include "core/strings.h"
#include "data/loader.h"
#include "data/validation_split.h"
#include "dist/data_parallel.h"
#include "dist/env.h"
#include "eval/evaluate.h"
#include "eval/plots.h"
#include "log/log.h"
#include "models/channels_last.h"
#include "models/registry.h"
#include "models/sync_batch_norm.h"
#include "models/weights.h"
#include "train/autocast.h"
#include "train/checkpoint.h"
#include "train/collapse_guard.h"
#include "train/device.h"
#include "train/device_gaps.h"
#include "train/ema.h"
#include "train/ema_horizon.h"
#include "train/graphed_step.h"
#include "train/losses.h"
#include "train/optimizer.h"
#include "train/run_folder.h"
#include "train/run_log.h"
#include "train/schedule.h"
#include "train/stop_signal.h"

namespace softvit {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

LrSchedule make_schedule(const RunConfig& c, int64_t steps_per_epoch, double lr) {
  LrSchedule s;
  s.kind = c.schedule.name;
  s.base_lr = lr;
  s.warmup_lr = c.schedule.warmup_lr;
  s.min_lr = c.schedule.min_lr;
  s.warmup_steps = static_cast<int64_t>(std::llround(c.schedule.warmup_epochs * steps_per_epoch));
  s.total_steps = steps_per_epoch * c.train.epochs;
  for (double epoch : c.schedule.decay_epochs) s.milestones.push_back(std::llround(epoch * steps_per_epoch));
  s.decay_rate = c.schedule.decay_rate;
  return s;
}

constexpr int64_t kStopAgreementSteps = 10;

// A resumed run's collapse guard learns what the epochs before the resume reached (summary.csv),
// so that a collapse after a resume is still seen as one.
void remember_history(CollapseGuard& guard, const std::string& run_dir, int64_t epochs_done) {
  const std::string summary = (fs::path(run_dir) / "summary.csv").string();
  if (!fs::exists(summary)) return;
  try {
    const TrainingHistory h = read_training_history(summary);
    const std::vector<double>* top1 = nullptr;
    for (const auto& [name, values] : h.val_scores)
      if (name == "val_top1") top1 = &values;
    for (size_t i = 0; i < h.epoch.size() && h.epoch[i] <= static_cast<double>(epochs_done); ++i)
      guard.remember(h.train_loss[i], top1 ? std::optional<double>((*top1)[i]) : std::nullopt);
  } catch (const Error& e) {
    log::warn(cat("the collapse check starts afresh: ", e.what()));
  }
}

// What an epoch is ranked by and logs, of the model or of its EMA. The AUROC is computed once per
// epoch: it sorts the split's scores once per class.
struct ValScores {
  double top1 = 0, loss = 0;
  std::optional<double> auroc;  // undefined when no class has both outcomes in the split
};

ValScores val_scores(const EvalResult& r) { return {r.top1, r.loss, macro_auroc(r)}; }

// Higher is better for every metric we rank by: losses are negated. An undefined AUROC (a
// validation split with one class) ranks below every defined one.
double rank_value(const std::string& metric, const ValScores& val, const ValScores& ema) {
  const ValScores& r = metric.rfind("ema_", 0) == 0 ? ema : val;
  if (metric.find("loss") != std::string::npos) return -r.loss;
  if (metric.find("auroc") != std::string::npos) return r.auroc.value_or(-1.0);
  return r.top1;
}

class Trainer {
 public:
  Trainer(const RunConfig& config, const TrainOptions& options);
  TrainResult run();

 private:
  void train_epoch(int64_t epoch, int64_t skip_batches);
  // data_wait: the fraction of the epoch's training time the host spent waiting for the loader;
  // gpu_idle (CUDA): the fraction the GPU spent between steps (DeviceGaps).
  void end_epoch(int64_t epoch, double epoch_seconds, double train_loss, double img_s, double data_wait,
                 std::optional<double> gpu_idle);
  void save(const std::string& name, int64_t epoch, int64_t batch_in_epoch, bool with_optimizer);
  // Warns (or stops the run, train.on_collapse: stop) when training has fallen back to chance.
  void check_collapse(int64_t epoch, double train_loss, const EvalResult& val);
  void stop(const std::string& reason, int64_t epoch, int64_t batch_in_epoch);
  std::string checkpoint_path(const std::string& name) const {
    return (fs::path(run_dir_) / "checkpoints" / name).string();
  }
  // The end of a non-finite-loss error: where the work done so far is, if this run saved any.
  std::string last_good_checkpoint() const {
    return has_last_ ? cat("stopped, the last good checkpoint is ", checkpoint_path("last.pt"))
                     : "stopped before any checkpoint was written (no epoch had finished)";
  }

  const RunConfig config_;
  const TrainOptions options_;
  const std::string run_dir_;
  std::string config_yaml_;
  torch::Device device_ = torch::kCPU;
  std::unique_ptr<dist::DataParallel> dp_;  // several processes: WORLD_SIZE > 1 in the environment
  bool bf16_ = false;
  std::unique_ptr<DataLoader> train_loader_, val_loader_;
  ModelPtr model_;
  std::unique_ptr<ModelEma> ema_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  LrSchedule schedule_;
  LossOptions loss_options_;
  std::unique_ptr<TrainStep> step_;  // forward, backward, clipping, optimizer and EMA: eager or a CUDA graph
  std::unique_ptr<RunLog> run_log_;
  std::optional<CollapseGuard> collapse_guard_;                   // single-label runs
  double epoch_window_loss_min_ = 0, epoch_window_loss_max_ = 0;  // the epoch's logged window losses
  int64_t steps_per_epoch_ = 0;                                   // optimizer steps
  CheckpointInfo state_;                                          // progress: epoch, step, best metric, top-k
  double lr_ = 0;
  double train_seconds_ = 0;
  int64_t images_seen_ = 0;
  DeviceGaps gaps_{torch::kCPU};  // the GPU's idle time between steps, beside the host's data wait
  int64_t first_step_ = 0;        // optimizer steps done before this process started (resume)
  bool has_last_ = false;         // this run's last.pt exists (resumed from, or saved)
  TrainResult result_;
};

Trainer::Trainer(const RunConfig& config, const TrainOptions& options)
    : config_(config), options_(options), run_dir_(config.run.output), has_last_(options.resume) {
  // Before anything is written, on every rank (nothing is written before they all meet).
  if (!options_.resume) prepare_fresh_run_folder(run_dir_, options_.overwrite, dist::dist_env().rank == 0);
  config_yaml_ = to_yaml(config_);
  dp_ = std::make_unique<dist::DataParallel>(config_.dist, parse_device(config_.run.device), config_yaml_);
  if (dp_->is_main()) {  // only rank 0 writes the run folder
    fs::create_directories(fs::path(run_dir_) / "checkpoints");
    log::add_file((fs::path(run_dir_) / "train.log").string());
  }

  const int threads = set_threads(dp_->threads(config_.run.threads));
  torch::manual_seed(static_cast<uint64_t>(config_.run.seed));
  device_ = dp_->device();
  gaps_ = DeviceGaps(device_);
  bf16_ = config_.train.precision == "bf16";
  if (bf16_ && !device_.is_cuda()) log::warn("train.precision bf16 applies to CUDA only; training in fp32");

  const auto& data = config_.data;
  train_loader_ = make_loader(config_, data.train_split, /*train=*/true, dp_->rank(), dp_->world_size());
  // Validation is labelled in the training split's class order, whatever classes it has itself.
  val_loader_ = make_loader(config_, data.val_split, /*train=*/false, dp_->rank(), dp_->world_size(),
                            train_loader_->classes());
  const auto& class_names = train_loader_->classes();
  const int64_t train_size = train_loader_->size();
  log::info(cat("data: ", data.source, " ", data.root, ": ", train_size, " train (", data.train_split, "), ",
                val_loader_->size(), " val (", data.val_split, "), ", class_names.size(), " classes, ",
                train_loader_->workers(), " loader threads"));
  if (validates_on_test(data))  // named explicitly (data.val_split); the default never does this
    log::warn(cat("validation on ", describe_validation(data), " (data.val_split): best.pt is chosen on the ",
                  "split its test figures come from, so those figures are optimistic"));
  else
    log::info(cat("validation (chooses best.pt): ", describe_validation(data)));

  const auto classes = static_cast<int64_t>(class_names.size());
  model_ = build_model(config_.model, classes, train_loader_->channels());
  if (!options_.resume) init_model_weights(*model_, config_.model);  // a resume loads its own weights
  model_->to(device_);
  if (!options_.resume) dp_->sync_model(*model_);  // every rank starts from rank 0's weights
  const double ema_decay =
      ema_decay_of(config_.train, train_loader_->batches_per_epoch() / config_.train.accum_steps);
  if (ema_decay > 0) {
    ema_ = std::make_unique<ModelEma>(build_model(config_.model, classes, train_loader_->channels()), *model_,
                                      ema_decay);
    ema_->model().to(device_);
  }
  if (config_.train.channels_last && device_.is_cuda()) {
    convert_to_channels_last(*model_);
    if (ema_) convert_to_channels_last(ema_->model());
  }
  log::info(cat("model: ", model_->name(), ", ", count_parameters(*model_), " parameters, device ",
                device_.str(), ", ", threads, " threads",
                bf16_ && device_.is_cuda() ? ", bf16 autocast" : ""));

  steps_per_epoch_ = train_loader_->batches_per_epoch() / config_.train.accum_steps;
  if (steps_per_epoch_ == 0)
    throw ConfigError(cat("train.batch_size ", config_.train.batch_size, " x train.accum_steps ",
                          config_.train.accum_steps, " is larger than the training split (", train_size,
                          " samples)"));

  const int64_t global_batch =
      int64_t{config_.train.batch_size} * config_.train.accum_steps * dp_->world_size();
  const double lr = config_.optim.lr_base_batch > 0
                        ? config_.optim.lr * global_batch / config_.optim.lr_base_batch
                        : config_.optim.lr;
  OptimSection optim = config_.optim;
  optim.lr = lr;
  optimizer_ = make_optimizer(optim, *model_);
  schedule_ = make_schedule(config_, steps_per_epoch_, lr);
  if (ema_) {
    log::info(cat("EMA of the weights: decay ", ema_->decay(), ", a horizon of ",
                  fixed(1.0 / (1.0 - ema_->decay()) / steps_per_epoch_, 1), " epochs"));
    const std::string warning = ema_horizon_warning(ema_->decay(), steps_per_epoch_, config_.train.epochs,
                                                    config_.train.ema_horizon_epochs > 0);
    if (!warning.empty() && dp_->is_main()) log::warn(warning);
  }

  // One sigmoid per label needs 0/1 label rows, softmax one class per sample: a mismatch would
  // otherwise surface as a tensor-shape error deep in the loss.
  const bool multi_label = train_loader_->multi_label();
  if (multi_label != (config_.train.loss == "bce"))
    throw ConfigError(multi_label ? cat("train.loss is '", config_.train.loss, "' but ", data.root,
                                        " is multi-label (a 0/1 column per class): use train.loss=bce")
                                  : cat("train.loss is 'bce' (multi-label) but ", data.root,
                                        " gives one class per sample: use train.loss=ce"));
  if (!multi_label) collapse_guard_.emplace(classes);
  loss_options_.kind = config_.train.loss;
  loss_options_.label_smoothing = config_.train.label_smoothing;
  if (!config_.train.class_weights.empty()) {
    if (static_cast<int64_t>(config_.train.class_weights.size()) != classes)
      throw ConfigError(cat("train.class_weights has ", config_.train.class_weights.size(), " values for ",
                            classes, " classes"));
    loss_options_.class_weights = torch::tensor(config_.train.class_weights, torch::kFloat32);
  } else if (config_.train.class_weighting == "inverse_frequency") {
    if (train_loader_->multi_label())
      throw ConfigError(
          "train.class_weighting inverse_frequency needs single-label data; give train.class_weights");
    const auto labels =
        torch::arange(classes).repeat_interleave(torch::tensor(train_loader_->class_counts()));
    loss_options_.class_weights = inverse_frequency_weights(labels, classes);
  }

  state_.model_name = model_->name();
  state_.config_yaml = config_yaml_;
  state_.classes = class_names;
  if (options_.resume) {
    const std::string last = checkpoint_path("last.pt");
    state_ = load_checkpoint(last, *model_, optimizer_.get(), ema_ ? &ema_->model() : nullptr,
                             /*restore_rng=*/true);
    state_.config_yaml = config_yaml_;
    log::info(cat("resumed from ", last, ": epoch ", state_.epoch, " batch ", state_.batch_in_epoch,
                  ", step ", state_.step));
  }
  first_step_ = state_.step;
  if (options_.resume && collapse_guard_) remember_history(*collapse_guard_, run_dir_, state_.epoch);
  // Written once the run is set up: a resume that fails to start (a --set that breaks the model,
  // missing data) leaves the config of the run in this folder as it was, so it can still resume.
  if (dp_->is_main()) write_file_atomic((fs::path(run_dir_) / "config.yaml").string(), config_yaml_);

  StepParts parts;  // after any checkpoint load: a graph captures the tensors as they are now
  parts.model = model_.get();
  parts.optimizer = optimizer_.get();
  parts.ema = ema_.get();
  parts.loss = loss_options_;
  parts.clip_grad = config_.train.clip_grad;
  parts.device = device_;
  parts.bf16 = bf16_;
  parts.channels_last = config_.train.channels_last && device_.is_cuda();
  parts.accum_steps = config_.train.accum_steps;
  dp_->seed_random_draws(static_cast<uint64_t>(config_.run.seed), state_.step);  // dropout differs by rank
  if (dp_->active()) {
    if (config_.dist.sync_batchnorm) {
      const int64_t synced =
          sync_batch_norms(*model_, [this](const torch::Tensor& t) { return dp_->sum(t); });
      log::info(cat("dist.sync_batchnorm: ", synced, " BatchNorm layers normalise over all ",
                    dp_->world_size(), " processes"));
    }
    dp_->reduce_gradients_of(*model_);
    parts.before_forward = [this] { dp_->before_forward(); };
    // Averaged over the ranks while the last micro-step's backward runs.
    parts.backward = [this](const torch::Tensor& loss, bool last_micro) { dp_->backward(loss, last_micro); };
  }
  step_ = make_train_step(parts, config_.train.cuda_graph);
  if (dp_->is_main()) run_log_ = std::make_unique<RunLog>(run_dir_, state_.epoch, state_.step);
  result_.run_dir = run_dir_;
}

TrainResult Trainer::run() {
  const auto start = Clock::now();
  install_stop_handlers();
  for (int64_t epoch = state_.epoch; epoch < config_.train.epochs && !result_.stopped_early; ++epoch) {
    const int64_t skip = epoch == state_.epoch ? state_.batch_in_epoch : 0;
    train_epoch(epoch, skip);
  }
  result_.best_metric = state_.best_metric;
  result_.best_epoch = state_.best_epoch;
  result_.epochs_done = state_.epoch;
  result_.seconds = seconds_since(start);
  result_.img_s = images_seen_ / std::max(train_seconds_, 1e-9);
  log::info(cat(result_.stopped_early ? "stopped (" + result_.stop_reason + ")" : std::string("finished"),
                ": best ", config_.checkpoint.best_metric, " ", fixed(std::abs(state_.best_metric), 4),
                " at epoch ", state_.best_epoch, ", ", duration(result_.seconds), ", ",
                fixed(result_.img_s, 0), " img/s, ", peak_memory_summary(device_), "; results in ",
                run_dir_));
  log::close_file();
  return result_;
}

void Trainer::train_epoch(int64_t epoch, int64_t skip_batches) {
  const auto epoch_start = Clock::now();
  model_->train();
  train_loader_->start_epoch(epoch);
  train_loader_->skip(skip_batches);  // the batches already trained on; the next ones are the same
  gaps_.epoch_started();
  const int64_t accum = config_.train.accum_steps;
  const int64_t usable_batches = steps_per_epoch_ * accum;  // a last partial accumulation is dropped
  torch::Tensor epoch_loss = torch::zeros({}, torch::TensorOptions(device_).dtype(torch::kFloat64));
  torch::Tensor window_loss = torch::zeros_like(epoch_loss);
  int64_t epoch_images = 0, window_images = 0, window_first_step = state_.step + 1;
  auto window_start = Clock::now();
  // Host time blocked on the loader: the share of step time the device may have idled for data.
  double window_wait_s = 0, epoch_wait_s = 0;
  double epoch_gap_s = 0;  // the GPU's idle time between steps (DeviceGaps), summed at log points
  epoch_window_loss_min_ = std::numeric_limits<double>::infinity();
  epoch_window_loss_max_ = -std::numeric_limits<double>::infinity();

  for (int64_t batch_index = skip_batches; batch_index < usable_batches; ++batch_index) {
    const auto wait_start = Clock::now();
    auto batch = train_loader_->next();
    const double wait_s = seconds_since(wait_start);
    window_wait_s += wait_s;
    epoch_wait_s += wait_s;
    if (!batch) break;
    gaps_.batch_arrived();
    if (state_.input_size.empty())  // for softvit eval and predict: what the model was trained on
      state_.input_size = {batch->images.size(1), batch->images.size(2), batch->images.size(3)};
    const bool first_micro = batch_index % accum == 0, last_micro = batch_index % accum == accum - 1;
    if (first_micro) lr_ = schedule_.at(state_.step);
    const torch::Tensor loss = step_->run(*batch, lr_);
    gaps_.step_done();
    const int64_t n = batch->labels.size(0);
    epoch_loss += loss.detach() * n;
    window_loss += loss.detach() * n;
    epoch_images += n;
    window_images += n;
    // On the CPU the check costs nothing, so every step is checked; on a GPU only at log points,
    // to keep the host from waiting on the device.
    if (!device_.is_cuda()) {
      const double value = dp_->sum(loss.detach()).item<double>() / dp_->world_size();  // all ranks agree
      if (!std::isfinite(value))
        throw TrainError(cat("loss is ", value, " at step ", state_.step + 1, " (epoch ", epoch + 1, "); ",
                             last_good_checkpoint()));
    }
    if (!last_micro) continue;

    ++state_.step;

    const int64_t step_in_epoch = (batch_index + 1) / accum;
    if (state_.step % config_.run.log_every == 0 || step_in_epoch == steps_per_epoch_) {
      const int64_t images = window_images * dp_->world_size();  // every rank's batches are equal
      const double mean_loss = dp_->sum(window_loss).item<double>() / std::max<int64_t>(1, images);
      if (!std::isfinite(mean_loss))
        throw TrainError(cat("loss is ", mean_loss, " between steps ", window_first_step, " and ",
                             state_.step, " (epoch ", epoch + 1, "); ", last_good_checkpoint()));
      epoch_window_loss_min_ = std::min(epoch_window_loss_min_, mean_loss);
      epoch_window_loss_max_ = std::max(epoch_window_loss_max_, mean_loss);
      const double window_s = std::max(seconds_since(window_start), 1e-9);
      const double img_s = images / window_s;
      const double data_wait = window_wait_s / window_s;
      const double gap_s = gaps_.take();  // the loss above has synchronised: every event is done
      epoch_gap_s += gap_s;
      const std::string gpu_idle =
          gaps_.active() ? cat(" (GPU idle between steps ", fixed(100 * gap_s / window_s, 1), "%)") : "";
      const int64_t total_steps = steps_per_epoch_ * config_.train.epochs;
      const double done_s = train_seconds_ + seconds_since(epoch_start);
      const double eta =
          done_s / std::max<int64_t>(1, state_.step - first_step_) * (total_steps - state_.step);
      log::info(cat("epoch ", epoch + 1, "/", config_.train.epochs, " step ", step_in_epoch, "/",
                    steps_per_epoch_, " loss ", fixed(mean_loss, 4), " lr ", lr_, " ", fixed(img_s, 0),
                    " img/s, data wait ", fixed(100 * data_wait, 1), "%", gpu_idle, ", ETA ", duration(eta)));
      if (run_log_)
        run_log_->step({{"epoch", epoch + 1},
                        {"step", state_.step},
                        {"loss", mean_loss},
                        {"lr", lr_},
                        {"img_s", img_s},
                        {"data_wait", data_wait},
                        {"gpu_idle", gaps_.active() ? nlohmann::json(gap_s / window_s) : nlohmann::json()}});
      window_loss.zero_();
      window_images = 0;
      window_wait_s = 0;
      window_first_step = state_.step + 1;
      window_start = Clock::now();
    }
    // A signal may reach the ranks at different steps: they agree to stop at the same one. Agreeing
    // is a blocking all-reduce (the host waits for the step's kernels), so with several processes
    // it happens every kStopAgreementSteps steps rather than every step.
    const bool agree_now = dp_->world_size() == 1 || state_.step % kStopAgreementSteps == 0;
    const bool signal = agree_now && dp_->any(stop_requested());
    if (signal || (options_.stop_after_steps > 0 && state_.step >= options_.stop_after_steps)) {
      train_seconds_ += seconds_since(epoch_start);
      const std::string by =
          stop_requested() ? cat("signal ", stop_signal_number()) : "signal on another rank";
      stop(signal ? by : cat("step budget ", options_.stop_after_steps), epoch, batch_index + 1);
      return;
    }
  }
  const double epoch_seconds = seconds_since(epoch_start);
  // The next epoch's first batches are built while this one is validated and saved; otherwise each
  // epoch began with the device idle for the time a worker takes to build a whole batch.
  if (epoch + 1 < config_.train.epochs) train_loader_->start_epoch(epoch + 1);
  train_seconds_ += epoch_seconds;
  const int64_t images = epoch_images * dp_->world_size();
  images_seen_ += images;
  end_epoch(
      epoch, epoch_seconds, dp_->sum(epoch_loss).item<double>() / std::max<int64_t>(1, images),
      images / std::max(epoch_seconds, 1e-9), epoch_wait_s / std::max(epoch_seconds, 1e-9),
      gaps_.active() ? std::optional<double>(epoch_gap_s / std::max(epoch_seconds, 1e-9)) : std::nullopt);
}

void Trainer::end_epoch(int64_t epoch, double train_seconds, double train_loss, double img_s,
                        double data_wait, std::optional<double> gpu_idle) {
  const auto eval_start = Clock::now();
  EvalResult val, ema_val;
  {
    AutocastScope autocast(device_, bf16_);
    // Each rank evaluates its shard; the gathered metrics are the same on every rank.
    const int64_t n = val_loader_->size(), classes = model_->num_classes();
    EvalOptions options;
    options.tta = parse_test_time_augmentation(config_.eval.tta);
    // Samples left out as unreadable (data.on_error skip) are not scored; the ranks' rows fit
    // together by their positions (or, split by shards, one part after another). The EMA weights
    // are scored in the same pass over the split, so its images are decoded once.
    std::vector<Model*> models = {model_.get()};
    if (ema_) models.push_back(&ema_->model());
    auto results = evaluate(models, *val_loader_, device_, options);
    val = dp_->gather(std::move(results[0]), n, classes, val_loader_->evaluation_shares());
    if (ema_) ema_val = dp_->gather(std::move(results[1]), n, classes, val_loader_->evaluation_shares());
  }
  EpochSummary summary{
      epoch + 1, train_loss, val.loss, val.top1, lr_, img_s, train_seconds + seconds_since(eval_start)};
  const ValScores scores = val_scores(val), ema_scores = ema_ ? val_scores(ema_val) : ValScores{};
  nlohmann::json extra = {{"val_top5", val.top5}, {"step", state_.step}, {"data_wait", data_wait}};
  if (gpu_idle) extra["gpu_idle"] = *gpu_idle;
  extra.update({{"val_split", config_.data.val_split},
                {"val_n", val.n},
                {"val_on_test_split", validates_on_test(config_.data)}});
  if (scores.auroc) extra["val_auroc"] = *scores.auroc;
  if (ema_) {
    extra.update({{"ema_val_top1", ema_val.top1}, {"ema_val_loss", ema_val.loss}});
    if (ema_scores.auroc) extra["ema_val_auroc"] = *ema_scores.auroc;
  }
  if (run_log_) {
    run_log_->epoch(summary, extra);
    refresh_training_curves(run_dir_, cat(model_->name(), ", validation on ", config_.data.val_split,
                                          " (n = ", val.n, ")"));  // run_dir/curves.png
  }
  log::info(cat("epoch ", epoch + 1, "/", config_.train.epochs, " done: train loss ", fixed(train_loss, 4),
                ", val loss ", fixed(val.loss, 4), ", val top-1 ", fixed(100 * val.top1, 2), "%",
                ema_ ? cat(", EMA top-1 ", fixed(100 * ema_val.top1, 2), "%") : std::string(), ", ",
                fixed(img_s, 0), " img/s (data wait ", fixed(100 * data_wait, 1), "%",
                gpu_idle ? cat(", GPU idle between steps ", fixed(100 * *gpu_idle, 1), "%") : std::string(),
                "), ", duration(summary.seconds)));
  result_.final_val_top1 = val.top1;
  if (collapse_guard_) check_collapse(epoch, train_loss, val);

  const std::string& metric = config_.checkpoint.best_metric;
  const double value = rank_value(metric, scores, ema_scores);
  const bool is_best = state_.best_epoch == 0 || value > state_.best_metric;
  if (is_best) {
    state_.best_metric = value;
    state_.best_epoch = epoch + 1;
    state_.epochs_without_improvement = 0;
  } else {
    ++state_.epochs_without_improvement;
  }
  state_.epoch = epoch + 1;
  state_.batch_in_epoch = 0;
  // Best first, then last: a crash in between leaves a last.pt one epoch old, never a best.pt
  // newer than last.pt's progress record.
  if (is_best) save("best.pt", epoch + 1, 0, /*with_optimizer=*/false);
  if (config_.checkpoint.keep_top_k > 0) {
    auto& top = state_.top_k;
    const bool enters =
        static_cast<int>(top.size()) < config_.checkpoint.keep_top_k || value > top.back().first;
    if (enters) {
      top.emplace_back(value, epoch + 1);
      std::sort(top.begin(), top.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
      char name[32];
      std::snprintf(name, sizeof name, "epoch_%03lld.pt", static_cast<long long>(epoch + 1));
      save(name, epoch + 1, 0, false);
      while (static_cast<int>(top.size()) > config_.checkpoint.keep_top_k) {
        std::snprintf(name, sizeof name, "epoch_%03lld.pt", static_cast<long long>(top.back().second));
        if (dp_->is_main()) fs::remove(checkpoint_path(name));
        top.pop_back();
      }
    }
  }
  save("last.pt", epoch + 1, 0, /*with_optimizer=*/true);

  const int patience = config_.train.early_stop_patience;
  if (patience > 0 && state_.epochs_without_improvement >= patience) {
    result_.stopped_early = true;
    result_.stop_reason = cat("no better ", metric, " for ", patience, " epochs");
  }
}

void Trainer::check_collapse(int64_t epoch, double train_loss, const EvalResult& val) {
  EpochOutcome outcome;
  outcome.epoch = epoch + 1;
  outcome.train_loss = train_loss;
  outcome.window_loss_min = epoch_window_loss_min_;
  outcome.window_loss_max = epoch_window_loss_max_;
  if (!val.labels.empty()) {
    outcome.val_top1 = val.top1;
    std::vector<int64_t> counts(static_cast<size_t>(model_->num_classes()), 0);
    for (int64_t label : val.labels) ++counts[static_cast<size_t>(label)];
    outcome.val_chance = static_cast<double>(*std::max_element(counts.begin(), counts.end())) /
                         static_cast<double>(val.labels.size());
  }
  const auto collapse = collapse_guard_->observe(outcome);
  if (!collapse) return;
  if (config_.train.on_collapse == "stop") {
    result_.stopped_early = true;
    result_.stop_reason = "collapse (train.on_collapse: stop)";
    if (dp_->is_main()) log::error(cat(*collapse, ". Stopping after this epoch (train.on_collapse: stop)"));
  } else if (dp_->is_main()) {
    log::warn(cat(*collapse, " (train.on_collapse: stop ends such a run)"));
  }
}

void Trainer::save(const std::string& name, int64_t epoch, int64_t batch_in_epoch, bool with_optimizer) {
  if (name == "last.pt") has_last_ = true;  // on every rank: each may report a NaN
  if (!dp_->is_main()) return;
  CheckpointInfo info = state_;
  info.epoch = epoch;
  info.batch_in_epoch = batch_in_epoch;
  save_checkpoint(checkpoint_path(name), *model_, with_optimizer ? optimizer_.get() : nullptr, info,
                  ema_ ? &ema_->model() : nullptr);
}

void Trainer::stop(const std::string& reason, int64_t epoch, int64_t batch_in_epoch) {
  save("last.pt", epoch, batch_in_epoch, /*with_optimizer=*/true);
  // The other ranks end only after rank 0 has saved: a launcher that stops the job once one rank
  // has ended (torchrun does) would otherwise cut the save short.
  dp_->barrier();
  result_.stopped_early = true;
  result_.stop_reason = reason;
  if (!dp_->is_main()) return;  // rank 0 saved and speaks for the job
  log::warn(cat("stopping on ", reason, " at step ", state_.step, " (epoch ", epoch + 1, ", batch ",
                batch_in_epoch, "); saved ", checkpoint_path("last.pt"),
                "; continue with: softvit train --resume ", run_dir_));
}

}  // namespace

TrainResult train(const RunConfig& config, const TrainOptions& options) {
  RunConfig resolved = config;  // saved with the checkpoints: which split chose best.pt
  resolved.data = resolve_validation(config.data);
  Trainer trainer(resolved, options);
  return trainer.run();
}

RunConfig run_config_of(const std::string& run_dir, const std::vector<std::string>& overrides) {
  const std::string path = (fs::path(run_dir) / "config.yaml").string();
  if (!fs::exists(path))
    throw ConfigError(cat("cannot resume: '", path, "' does not exist (is '", run_dir, "' a run folder?)"));
  RunConfig config = load_config(path, overrides);
  config.run.output = run_dir;
  return config;
}

}  // namespace softvit
