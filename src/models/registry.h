// Backbones by name. A config's model section picks one and may override its sizes.
#pragma once
#include <string>
#include <vector>

#include "core/config/model_section.h"
#include "models/model.h"

namespace softvit {

struct ModelInfo {
  std::string name;
  std::string family;  // "vit" (isotropic) or "pyramid" (SOFT backbones)
  std::string description;
  int64_t img_size;  // the resolution it is declared at
  int64_t in_chans;
};

std::vector<ModelInfo> registered_models();

// Builds `section.name` with the section's non-zero overrides; num_classes and in_chans fall back
// to the given data-derived values when the section leaves them at 0.
ModelPtr build_model(const ModelSection& section, int64_t data_classes, int64_t data_channels);

}  // namespace softvit
