#include "cli/progress.h"

#include <algorithm>
#include <cstdlib>

#include "core/strings.h"
#include "log/log.h"

namespace softvit::cli {
namespace {

double interval_seconds() {
  if (const char* text = std::getenv("SOFTVIT_PROGRESS_SECONDS")) {
    char* end = nullptr;
    const double value = std::strtod(text, &end);
    if (end != text && *end == '\0' && value >= 0) return value;
    log::warn(cat("SOFTVIT_PROGRESS_SECONDS='", text, "' is not a number of seconds; using 5"));
  }
  return 5.0;
}

}  // namespace

Progress::Progress(std::string what, int64_t total, std::string unit)
    : what_(std::move(what)), unit_(std::move(unit)), total_(total), interval_s_(interval_seconds()) {
  log::info(cat(what_, ": ", total_, " ", unit_));
}

void Progress::advance(int64_t n, const std::string& detail) {
  done_ += n;
  const auto now = Clock::now();
  // The last step is told by done().
  if (done_ >= total_ || std::chrono::duration<double>(now - last_line_).count() < interval_s_) return;
  last_line_ = now;
  const double rate = done_ / std::max(std::chrono::duration<double>(now - start_).count(), 1e-9);
  std::string line = cat(what_, ": ", done_, "/", total_, " ", unit_);
  if (total_ > 0) line += cat(" (", done_ * 100 / total_, "%)");
  line += cat(", ", rate >= 10 ? fixed(rate, 0) : fixed(rate, 2), " ", unit_, "/s, ETA ",
              duration((total_ - done_) / std::max(rate, 1e-9)));
  if (!detail.empty()) line += cat(" (", detail, ")");
  log::info(line);
}

void Progress::done() {
  const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
  log::info(cat(what_, ": ", done_, " ", unit_, " done in ", duration(elapsed)));
}

}  // namespace softvit::cli
