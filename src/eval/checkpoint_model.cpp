#include "eval/checkpoint_model.h"

#include "core/config.h"
#include "models/registry.h"

namespace softvit {

CheckpointModel load_checkpoint_model(const std::string& path, const CheckpointInfo& info,
                                      const RunConfig& config, int64_t channels, const std::string& weights) {
  const auto classes = static_cast<int64_t>(info.classes.size());
  CheckpointModel out;
  out.model = build_model(config.model, classes, channels);
  out.ema = weights == "ema" ||
            (weights == "auto" && info.has_ema && config.checkpoint.best_metric.rfind("ema_", 0) == 0);
  if (out.ema) {
    ModelPtr raw = build_model(config.model, classes, channels);
    load_checkpoint(path, *raw, nullptr, out.model.get());
  } else {
    load_checkpoint(path, *out.model);
  }
  return out;
}

}  // namespace softvit
