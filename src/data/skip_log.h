// The samples a loader skipped as unreadable (data.on_error: skip): each is logged and listed the
// first time a batch that skipped it is handed out, and every epoch that skipped any ends with one
// line that counts them. Shared by the Loader and the ShardLoader; thread-safe.
#pragma once
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "data/sources/source.h"

namespace softvit {

class SkipLog {
 public:
  // `fate`: what became of a skipped sample, for the log ("replaced by another").
  explicit SkipLog(std::string fate) : fate_(std::move(fate)) {}

  void start_epoch();
  void add(const std::vector<DataProblem>& skipped);
  // Once per epoch, when any sample was skipped in it.
  void end_epoch(int64_t epoch);
  // Each skipped sample once, in the order they were first handed out.
  std::vector<DataProblem> distinct() const;

 private:
  mutable std::mutex mutex_;
  std::string fate_;
  std::vector<DataProblem> distinct_;
  std::set<std::string> names_;
  int64_t epoch_count_ = 0;
  bool summary_logged_ = false;
};

}  // namespace softvit
