#include "models/registry.h"

#include <functional>

#include "core/error.h"
#include "core/strings.h"
#include "models/vit.h"

namespace softvit {
namespace {

struct VitEntry {
  ModelInfo info;
  VitOptions options;
};

VitOptions vit(const std::string& name, int64_t img, int64_t patch, int64_t in_chans,
               int64_t dim, int64_t depth, int64_t heads) {
  VitOptions o;
  o.name = name;
  o.img_size = img;
  o.patch_size = patch;
  o.in_chans = in_chans;
  o.embed_dim = dim;
  o.depth = depth;
  o.num_heads = heads;
  return o;
}

const std::vector<VitEntry>& vit_table() {
  static const std::vector<VitEntry> table = {
      {{"deit_tiny", "vit", "DeiT-Tiny, 224 px, patch 16", 224, 3}, vit("deit_tiny", 224, 16, 3, 192, 12, 3)},
      {{"deit_small", "vit", "DeiT-Small, 224 px, patch 16", 224, 3}, vit("deit_small", 224, 16, 3, 384, 12, 6)},
      {{"deit_base", "vit", "DeiT-Base, 224 px, patch 16", 224, 3}, vit("deit_base", 224, 16, 3, 768, 12, 12)},
      // Small-image variants (28-64 px): patch 4, so a 28 px image gives 7x7 tokens.
      {{"deit_tiny_patch4_28", "vit", "DeiT-Tiny sizes, 28 px, patch 4", 28, 1}, vit("deit_tiny_patch4_28", 28, 4, 1, 192, 12, 3)},
      {{"vit_mini_patch4_28", "vit", "ViT 128 wide, 6 deep, 28 px, patch 4 (CPU-friendly)", 28, 1}, vit("vit_mini_patch4_28", 28, 4, 1, 128, 6, 4)},
  };
  return table;
}

std::vector<std::string> names() {
  std::vector<std::string> out;
  for (const auto& e : vit_table()) out.push_back(e.info.name);
  return out;
}

}  // namespace

std::vector<ModelInfo> registered_models() {
  std::vector<ModelInfo> out;
  for (const auto& e : vit_table()) out.push_back(e.info);
  return out;
}

ModelPtr build_model(const ModelSection& s, int64_t data_classes, int64_t data_channels) {
  for (const auto& entry : vit_table()) {
    if (entry.info.name != s.name) continue;
    VitOptions o = entry.options;
    if (s.img_size > 0) o.img_size = s.img_size;
    if (s.patch_size > 0) o.patch_size = s.patch_size;
    o.in_chans = s.in_chans > 0 ? s.in_chans : (data_channels > 0 ? data_channels : o.in_chans);
    o.num_classes = s.num_classes > 0 ? s.num_classes : (data_classes > 0 ? data_classes : o.num_classes);
    if (s.embed_dim > 0) o.embed_dim = s.embed_dim;
    if (s.depth > 0) o.depth = s.depth;
    if (s.num_heads > 0) o.num_heads = s.num_heads;
    if (s.mlp_ratio > 0) o.mlp_ratio = s.mlp_ratio;
    o.drop_rate = s.drop_rate;
    o.drop_path = s.drop_path;
    if (o.img_size % o.patch_size != 0)
      throw ConfigError(cat("model.img_size ", o.img_size, " is not a multiple of model.patch_size ", o.patch_size));
    if (o.embed_dim % o.num_heads != 0)
      throw ConfigError(cat("model.embed_dim ", o.embed_dim, " is not divisible by model.num_heads ", o.num_heads));
    return std::make_shared<VisionTransformer>(o);
  }
  throw ConfigError(cat("unknown model '", s.name, "' (known: ", join(names(), ", "), ")"));
}

}  // namespace softvit
