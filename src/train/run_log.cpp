#include "train/run_log.h"

#include <filesystem>

#include "core/error.h"
#include "core/strings.h"

namespace softvit {

RunLog::RunLog(const std::string& run_dir) {
  const auto jsonl_path = std::filesystem::path(run_dir) / "metrics.jsonl";
  const auto csv_path = std::filesystem::path(run_dir) / "summary.csv";
  const bool new_csv = !std::filesystem::exists(csv_path);
  jsonl_.open(jsonl_path, std::ios::app);
  csv_.open(csv_path, std::ios::app);
  if (!jsonl_ || !csv_) throw Error(cat("cannot write run files in '", run_dir, "'"));
  if (new_csv) csv_ << "epoch,train_loss,val_loss,val_top1,lr,img_s,seconds\n" << std::flush;
}

void RunLog::step(const nlohmann::json& record) {
  nlohmann::json line = {{"type", "step"}};
  line.update(record);
  jsonl_ << line.dump() << "\n" << std::flush;
}

void RunLog::epoch(const EpochSummary& s, nlohmann::json extra) {
  nlohmann::json line = {{"type", "epoch"},        {"epoch", s.epoch},       {"train_loss", s.train_loss},
                         {"val_loss", s.val_loss}, {"val_top1", s.val_top1}, {"lr", s.lr},
                         {"img_s", s.img_s},       {"seconds", s.seconds}};
  line.update(extra);
  jsonl_ << line.dump() << "\n" << std::flush;
  csv_ << s.epoch << "," << fixed(s.train_loss, 6) << "," << fixed(s.val_loss, 6) << ","
       << fixed(s.val_top1, 6) << "," << s.lr << "," << fixed(s.img_s, 1) << "," << fixed(s.seconds, 2)
       << "\n"
       << std::flush;
}

}  // namespace softvit
