// The small ViT the training tests build: vit_mini_patch4_28 (28 px, patch 4) cut down.
#pragma once
#include "core/config/model_section.h"
#include "models/registry.h"

namespace softvit::testing {

inline ModelPtr mini_vit(int64_t depth, int64_t embed_dim, int64_t classes, int64_t channels = 1) {
  ModelSection s;
  s.name = "vit_mini_patch4_28";
  s.depth = depth;
  s.embed_dim = embed_dim;
  s.num_heads = 2;
  return build_model(s, classes, channels);
}

}  // namespace softvit::testing
