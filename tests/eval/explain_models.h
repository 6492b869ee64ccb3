// The small models that the explanation tests build: of every family, a 2-block ViT of width 32
// (any attention) or a narrow SOFT pyramid, 32 px, 1 channel, 3 classes, random weights; and the
// two-class ViT that the localisation tests train on square_data.h.
#pragma once
#include <string>
#include <vector>

#include "core/config.h"
#include "models/registry.h"

namespace softvit::testing {

inline ModelPtr small_explain_model(const std::string& name, const std::string& attention) {
  ModelSection s;
  s.name = name;
  s.img_size = 32;
  s.attention = attention;
  if (name == "vit_mini_patch4_28") {
    s.embed_dim = 32;
    s.depth = 2;
    s.num_heads = 2;
  } else {
    s.dims = {16, 32, 32, 64};
    s.heads = {1, 2, 2, 4};
    s.depths = {1, 1, 1, 2};
  }
  return build_model(s, 3, 1);
}

// The localisation tests' model: ViT of 32 px, patch 4, width 32, depth 2, 4 heads, 2 classes.
inline ModelPtr square_model(const std::string& attention) {
  ModelSection s;
  s.name = "vit_mini_patch4_28";
  s.img_size = 32;
  s.patch_size = 4;
  s.embed_dim = 32;
  s.depth = 2;
  s.num_heads = 4;
  s.attention = attention;
  return build_model(s, 2, 1);
}

// Every family the explanations cover: the ViT with each attention, and the SOFT pyramids.
struct ExplainFamily {
  const char* name;
  const char* attention;
  bool pyramid;
};

inline const std::vector<ExplainFamily>& explain_families() {
  static const std::vector<ExplainFamily> families = {
      {"vit_mini_patch4_28", "softmax", false},   {"vit_mini_patch4_28", "soft", false},
      {"vit_mini_patch4_28", "soft_norm", false}, {"vit_mini_patch4_28", "seqnorm", false},
      {"vit_mini_patch4_28", "sima", false},      {"soft_tiny_patch2_28", "soft", true},
      {"soft_tiny_patch2_28", "soft_norm", true}, {"soft_tiny_patch2_28", "sima", true}};
  return families;
}

}  // namespace softvit::testing
