// Learning rate per optimizer step: linear warm-up from warmup_lr, then cosine decay to min_lr,
// step decay (x decay_rate at each milestone, never below min_lr) or constant. Stepped per
// optimizer step, not per epoch, so short runs warm up smoothly.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace softvit {

struct LrSchedule {
  std::string kind = "cosine";  // cosine | step | constant
  double base_lr = 1e-3;
  double warmup_lr = 1e-6;
  double min_lr = 1e-5;
  int64_t warmup_steps = 0;
  int64_t total_steps = 1;
  std::vector<int64_t> milestones;  // step: steps at which the lr is multiplied by decay_rate
  double decay_rate = 0.1;

  // Learning rate for 0-based `step`.
  double at(int64_t step) const;
};

}  // namespace softvit
