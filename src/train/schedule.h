// Learning rate per optimizer step: linear warm-up from warmup_lr, then cosine decay to min_lr
// (or constant). Stepped per step, not per epoch, so short runs warm up smoothly.
#pragma once
#include <cstdint>
#include <string>

namespace softvit {

struct LrSchedule {
  std::string kind = "cosine";  // cosine | constant
  double base_lr = 1e-3;
  double warmup_lr = 1e-6;
  double min_lr = 1e-5;
  int64_t warmup_steps = 0;
  int64_t total_steps = 1;

  // Learning rate for 0-based `step`.
  double at(int64_t step) const;
};

}  // namespace softvit
