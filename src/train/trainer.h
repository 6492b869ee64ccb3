// One training run: data, model, optimizer and schedule from a RunConfig; progress on the console
// and in the run folder; evaluation, checkpoints and early stopping each epoch; exact resume.
#pragma once
#include <string>

namespace softvit {

struct RunConfig;  // core/config.h

struct TrainOptions {
  bool resume = false;           // continue from run.output/checkpoints/last.pt
  bool overwrite = false;        // a fresh run may replace an earlier run in run.output (run_folder.h)
  int64_t stop_after_steps = 0;  // save and stop after this many optimizer steps in total; 0: off
};

struct TrainResult {
  double best_metric = 0;
  int64_t best_epoch = 0;
  int64_t epochs_done = 0;
  double final_val_top1 = 0;
  double seconds = 0;
  double img_s = 0;
  bool stopped_early = false;  // by a signal, the step budget or early stopping
  std::string stop_reason;
  std::string run_dir;
};

// Runs the training described by `config` (run.output is the run folder).
TrainResult train(const RunConfig& config, const TrainOptions& options = {});

// The config a run was started with (run_dir/config.yaml), with `overrides` applied; for --resume.
RunConfig run_config_of(const std::string& run_dir, const std::vector<std::string>& overrides);

}  // namespace softvit
