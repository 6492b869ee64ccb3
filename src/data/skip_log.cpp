#include "data/skip_log.h"

#include "core/strings.h"
#include "log/log.h"

namespace softvit {

void SkipLog::start_epoch() {
  std::lock_guard<std::mutex> lock(mutex_);
  epoch_count_ = 0;
  summary_logged_ = false;
}

void SkipLog::add(const std::vector<DataProblem>& skipped) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& p : skipped) {
    ++epoch_count_;
    if (!names_.insert(p.file).second) continue;
    distinct_.push_back(p);
    log::warn(cat("data: skipped unreadable sample ", p.reason, " (", fate_, ")"));
  }
}

void SkipLog::end_epoch(int64_t epoch) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (epoch_count_ == 0 || summary_logged_) return;
  summary_logged_ = true;
  log::warn(cat("data: ", epoch_count_, " unreadable samples skipped (", fate_, ") in epoch ", epoch + 1,
                " (", distinct_.size(), " distinct so far)"));
}

std::vector<DataProblem> SkipLog::distinct() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return distinct_;
}

}  // namespace softvit
