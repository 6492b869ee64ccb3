// One training run: data, model, optimizer and schedule from a RunConfig; progress on the console
// and in the run folder; evaluation and checkpoints each epoch.
#pragma once
#include <string>

#include "core/config.h"

namespace softvit {

struct TrainResult {
  double best_val_top1 = 0;
  int64_t best_epoch = 0;
  double final_val_top1 = 0;
  double seconds = 0;
  double img_s = 0;
  std::string run_dir;
};

// Runs the whole training described by `config` (run.output is the run folder).
TrainResult train(const RunConfig& config);

}  // namespace softvit
