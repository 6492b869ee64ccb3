#include "train/ema_horizon.h"

#include <algorithm>

#include "core/strings.h"

namespace softvit {

double ema_decay_of(const TrainSection& train, int64_t steps_per_epoch) {
  if (train.ema_horizon_epochs > 0)
    return 1.0 - 1.0 / std::max(1.0, train.ema_horizon_epochs * static_cast<double>(steps_per_epoch));
  return train.ema_decay;
}

std::string ema_horizon_warning(double decay, int64_t steps_per_epoch, int64_t epochs, bool by_horizon) {
  if (decay <= 0 || steps_per_epoch <= 0 || epochs <= 0) return "";
  const double horizon_steps = 1.0 / (1.0 - decay);
  const double run_steps = static_cast<double>(steps_per_epoch) * static_cast<double>(epochs);
  if (horizon_steps <= run_steps / 3) return "";
  const double horizon_epochs = horizon_steps / static_cast<double>(steps_per_epoch);
  const int64_t suggestion = std::max<int64_t>(1, epochs / 10);
  return cat("the EMA decay ", decay, " averages over about ", std::llround(horizon_steps), " steps (",
             fixed(horizon_epochs, 1), " epochs), more than a third of this run's ", std::llround(run_steps),
             " steps (", epochs,
             " epochs): the EMA weights will still carry much of the early, untrained model at the end. ",
             by_horizon ? cat("Lower train.ema_horizon_epochs (e.g. to ", suggestion, ")")
                        : cat("Set train.ema_horizon_epochs (e.g. ", suggestion,
                              ") instead of train.ema_decay, or a smaller decay"));
}

}  // namespace softvit
