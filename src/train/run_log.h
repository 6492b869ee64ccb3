// The files of a run folder that record progress: metrics.jsonl (one JSON object per logged step
// and per epoch) and summary.csv (one row per epoch). Both are appended and flushed as they go,
// so a crash loses at most the line being written.
#pragma once
#include <nlohmann/json.hpp>

#include <fstream>
#include <string>
#include <vector>

namespace softvit {

struct EpochSummary {
  int64_t epoch;
  double train_loss, val_loss, val_top1, lr, img_s, seconds;
};

// summary.csv's columns. val_auroc and the ema_ columns come from the epoch's extra record and
// are empty where it has none (no EMA; an AUROC undefined for a split with one class).
const std::vector<std::string>& summary_columns();

class RunLog {
 public:
  // A run resumed after `epochs_done` epochs and `steps_done` steps keeps only the records up to
  // there: those a crash left beyond its last.pt are written again as the run repeats them. An
  // older summary.csv is rewritten in today's columns.
  RunLog(const std::string& run_dir, int64_t epochs_done = 0, int64_t steps_done = 0);
  void step(const nlohmann::json& record);  // adds "type": "step"
  // `extra` goes into metrics.jsonl as it is, and fills summary.csv's columns of the same names.
  void epoch(const EpochSummary& summary, nlohmann::json extra = {});

 private:
  std::ofstream jsonl_, csv_;
};

}  // namespace softvit
