// Progress of a long command, on the log (stderr, so that what a command prints on stdout stays
// machine-readable): "eval test: 2048/10000 images (20%), 812 images/s, ETA 10s".
// A line when the work starts, then at most one every few seconds (5; the environment variable
// SOFTVIT_PROGRESS_SECONDS changes it, 0: after every step), and one when it is done.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

namespace softvit::cli {

class Progress {
 public:
  Progress(std::string what, int64_t total, std::string unit);
  // `n` more done; `detail` (the item just finished, say) ends the line.
  void advance(int64_t n = 1, const std::string& detail = "");
  // The closing line: how many in how long.
  void done();

 private:
  using Clock = std::chrono::steady_clock;
  std::string what_, unit_;
  int64_t total_, done_ = 0;
  Clock::time_point start_ = Clock::now(), last_line_ = start_;
  double interval_s_;
};

}  // namespace softvit::cli
