// The files of a run folder that record progress: metrics.jsonl (one JSON object per logged step
// and per epoch) and summary.csv (one row per epoch). Both are appended and flushed as they go,
// so a crash loses at most the line being written.
#pragma once
#include <nlohmann/json.hpp>

#include <fstream>
#include <string>

namespace softvit {

struct EpochSummary {
  int64_t epoch;
  double train_loss, val_loss, val_top1, lr, img_s, seconds;
};

class RunLog {
 public:
  explicit RunLog(const std::string& run_dir);
  void step(const nlohmann::json& record);  // adds "type": "step"
  void epoch(const EpochSummary& summary, nlohmann::json extra = {});

 private:
  std::ofstream jsonl_, csv_;
};

}  // namespace softvit
