// The small models of every family that the explanation tests build: a 2-block ViT of width 32
// (any attention) or a narrow SOFT pyramid, 32 px, 1 channel, 3 classes, random weights.
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
