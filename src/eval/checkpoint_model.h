// The model of a checkpoint as softvit eval and predict use it: built from the checkpoint's model
// section and loaded with its weights or its EMA weights.
#pragma once
#include <string>

#include "models/model.h"
#include "train/checkpoint.h"

namespace softvit {

struct RunConfig;  // core/config.h

struct CheckpointModel {
  ModelPtr model;
  bool ema = false;  // the EMA weights were loaded
};

// `weights`: model | ema | auto (the EMA weights when the run ranked its checkpoints by an ema_
// metric: best.pt is best for those). `channels`: the input channels the model was trained on.
CheckpointModel load_checkpoint_model(const std::string& path, const CheckpointInfo& info,
                                      const RunConfig& config, int64_t channels, const std::string& weights);

}  // namespace softvit
