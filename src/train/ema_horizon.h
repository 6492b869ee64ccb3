// How far back a weight EMA looks. An EMA with decay d averages over about 1 / (1 - d) optimizer
// steps: 0.9998 is 5,000 steps, which is most of an 80-epoch run on a small dataset, and such an
// EMA model is still mostly the random start when the run ends. So the decay can be given as a
// horizon in epochs (train.ema_horizon_epochs) that fits any dataset and batch size, and a decay
// whose horizon is longer than a third of the run is warned about.
#pragma once
#include <cstdint>
#include <string>

#include "core/config/train_section.h"

namespace softvit {

// The run's EMA decay: train.ema_decay, or the decay whose horizon is train.ema_horizon_epochs
// epochs of `steps_per_epoch` optimizer steps; 0 when the run has no EMA.
double ema_decay_of(const TrainSection& train, int64_t steps_per_epoch);

// Empty when the horizon 1 / (1 - decay) fits in a third of the run; otherwise a warning that
// names the horizon in epochs and what to set instead (by_horizon: the decay came from
// train.ema_horizon_epochs rather than train.ema_decay).
std::string ema_horizon_warning(double decay, int64_t steps_per_epoch, int64_t epochs,
                                bool by_horizon = false);

}  // namespace softvit
