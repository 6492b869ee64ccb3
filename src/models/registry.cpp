#include "models/registry.h"

#include <algorithm>
#include <optional>

#include "core/error.h"
#include "core/strings.h"
#include "models/soft_pyramid.h"
#include "models/vit.h"

namespace softvit {
namespace {

// A registered model: exactly one of the two option sets.
struct Entry {
  ModelInfo info;
  std::optional<VitOptions> vit;
  std::optional<PyramidOptions> pyramid;
};

Entry vit(const std::string& name, const std::string& description, int64_t img, int64_t patch,
          int64_t in_chans, int64_t dim, int64_t depth, int64_t heads,
          const std::string& attention = "softmax") {
  VitOptions o;
  o.name = name;
  o.img_size = img;
  o.patch_size = patch;
  o.in_chans = in_chans;
  o.embed_dim = dim;
  o.depth = depth;
  o.num_heads = heads;
  o.attention = attention;
  return {{name, "vit", description, img, in_chans}, o, std::nullopt};
}

Entry soft(const std::string& name, const std::string& description, std::vector<int64_t> dims,
           std::vector<int64_t> heads, std::vector<int64_t> depths, const std::string& attention) {
  PyramidOptions o;
  o.name = name;
  o.dims = std::move(dims);
  o.heads = std::move(heads);
  o.depths = std::move(depths);
  o.attention = attention;
  return {{name, "pyramid", description, o.img_size, o.in_chans}, std::nullopt, o};
}

// SOFT-Tiny for 28-64 px inputs: stem stride 2 (28 px -> grids 14, 7, 4, 2), landmark strides
// 4, 2, 1 and local kernels 5, 3, 3 sized for those grids (64 landmarks per stage at 64 px).
Entry soft_tiny_small_image() {
  Entry e = soft("soft_tiny_patch2_28", "SOFT-Tiny sizes, 28 px, stem stride 2 (28-64 px inputs)",
                 {64, 128, 320, 512}, {2, 4, 10, 16}, {1, 2, 3, 2}, "soft");
  auto& o = *e.pyramid;
  o.img_size = e.info.img_size = 28;
  o.in_chans = e.info.in_chans = 1;
  o.stem_stride = 2;
  o.sr_ratios = {4, 2, 1};
  o.local_conv = {5, 3, 3};
  return e;
}

const std::vector<Entry>& table() {
  static const std::vector<Entry> entries = [] {
    std::vector<Entry> t = {
        vit("deit_tiny", "DeiT-Tiny, 224 px, patch 16", 224, 16, 3, 192, 12, 3),
        vit("deit_small", "DeiT-Small, 224 px, patch 16", 224, 16, 3, 384, 12, 6),
        vit("deit_base", "DeiT-Base, 224 px, patch 16", 224, 16, 3, 768, 12, 12),
        // Small-image variants (28-64 px): patch 4, so a 28 px image gives 7x7 tokens.
        vit("deit_tiny_patch4_28", "DeiT-Tiny sizes, 28 px, patch 4", 28, 4, 1, 192, 12, 3),
        vit("vit_mini_patch4_28", "ViT 128 wide, 6 deep, 28 px, patch 4 (CPU-friendly)", 28, 4, 1, 128, 6, 4),
        // Softmax-free ViT with sequence normalisation (Khader et al.): DeiT sizes.
        vit("sfvit_tiny", "DeiT-Tiny with seqnorm attention, 224 px", 224, 16, 3, 192, 12, 3, "seqnorm"),
        vit("sfvit_small", "DeiT-Small with seqnorm attention, 224 px", 224, 16, 3, 384, 12, 6, "seqnorm"),
        vit("sfvit_base", "DeiT-Base with seqnorm attention, 224 px", 224, 16, 3, 768, 12, 12, "seqnorm"),
        vit("sfvit_tiny_patch4_28", "DeiT-Tiny sizes, seqnorm attention, 28 px, patch 4", 28, 4, 1, 192, 12,
            3, "seqnorm"),
    };
    struct Size {
      const char* name;
      std::vector<int64_t> dims, heads, depths;
    };
    const std::vector<Size> sizes = {
        {"tiny", {64, 128, 320, 512}, {2, 4, 10, 16}, {1, 2, 3, 2}},
        {"small", {64, 128, 320, 512}, {2, 4, 10, 16}, {1, 3, 7, 4}},  // the paper's depths
        {"medium", {64, 128, 288, 512}, {2, 4, 9, 16}, {1, 3, 29, 5}},
        {"large", {64, 128, 320, 512}, {2, 4, 10, 16}, {1, 3, 40, 5}},
        {"huge", {64, 128, 352, 512}, {2, 4, 11, 16}, {1, 5, 49, 5}},
    };
    for (const char* kind : {"soft", "soft_norm"})
      for (const auto& s : sizes)
        t.push_back(soft(cat(kind, "_", s.name),
                         cat(std::string(kind) == "soft" ? "SOFT" : "SOFT-Norm", " pyramid, 224 px, depths ",
                             s.depths[0], ",", s.depths[1], ",", s.depths[2], ",", s.depths[3]),
                         s.dims, s.heads, s.depths, kind));
    // The reference release's own soft_small has depths 1,3,20,4 (38.86M), not the paper's: figures
    // set against the release's code name this model so that both sides run the same network.
    t.push_back(soft("soft_small_release", "SOFT-Small as the reference release builds it, depths 1,3,20,4",
                     {64, 128, 320, 512}, {2, 4, 10, 16}, {1, 3, 20, 4}, "soft"));
    t.push_back(soft_tiny_small_image());
    return t;
  }();
  return entries;
}

std::vector<int64_t> to_int64(const std::vector<int>& v) { return {v.begin(), v.end()}; }

// The attention settings every family shares.
void apply_attention(const ModelSection& s, std::string& attention, AttentionOptions& a) {
  if (!s.attention.empty()) {
    const auto kinds = attention_kinds();
    if (std::find(kinds.begin(), kinds.end(), s.attention) == kinds.end())
      throw ConfigError(
          cat("model.attention: unknown attention '", s.attention, "' (known: ", join(kinds, ", "), ")"));
    attention = s.attention;
  }
  if (!s.landmarks.empty()) a.landmarks = s.landmarks;
  if (s.landmark_count > 0) a.landmark_count = s.landmark_count;
  if (s.newton_iters > 0) a.newton_iterations = s.newton_iters;
  a.seqnorm_stat = s.seqnorm_stat;
  a.seqnorm_eps = s.seqnorm_eps;
  a.seqnorm_cls = s.seqnorm_cls;
}

void reject(bool set, const std::string& key, const std::string& model, const std::string& instead) {
  if (set) throw ConfigError(cat("model.", key, " does not apply to '", model, "' (", instead, ")"));
}

ModelPtr build_vit(VitOptions o, const ModelSection& s) {
  const std::string pyramid_only =
      "it sizes a pyramid model; use model.embed_dim, model.depth, model.num_heads";
  reject(!s.dims.empty(), "dims", s.name, pyramid_only);
  reject(!s.depths.empty(), "depths", s.name, pyramid_only);
  reject(!s.heads.empty(), "heads", s.name, pyramid_only);
  if (s.patch_size > 0) o.patch_size = s.patch_size;
  if (s.embed_dim > 0) o.embed_dim = s.embed_dim;
  if (s.depth > 0) o.depth = s.depth;
  if (s.num_heads > 0) o.num_heads = s.num_heads;
  if (s.mlp_ratio > 0) o.mlp_ratio = s.mlp_ratio;
  apply_attention(s, o.attention, o.attention_options);
  for (const auto* list : {&s.sr_ratios, &s.local_conv})
    if (!list->empty() && list->size() != 1)
      throw ConfigError(cat("model.", list == &s.sr_ratios ? "sr_ratios" : "local_conv",
                            " takes one value for the isotropic model '", s.name, "'"));
  if (!s.sr_ratios.empty()) o.attention_options.sr_ratio = s.sr_ratios[0];
  if (!s.local_conv.empty()) o.attention_options.local_conv = s.local_conv[0];
  o.drop_rate = s.drop_rate;
  o.drop_path = s.drop_path;
  if (o.img_size % o.patch_size != 0)
    throw ConfigError(
        cat("model.img_size ", o.img_size, " is not a multiple of model.patch_size ", o.patch_size));
  if (o.embed_dim % o.num_heads != 0)
    throw ConfigError(
        cat("model.embed_dim ", o.embed_dim, " is not divisible by model.num_heads ", o.num_heads));
  return std::make_shared<VisionTransformer>(o);
}

ModelPtr build_pyramid(PyramidOptions o, const ModelSection& s) {
  const std::string isotropic_only = "it sizes an isotropic ViT; use model.dims, model.depths, model.heads";
  reject(s.patch_size > 0, "patch_size", s.name, "the pyramid's stem has a fixed stride");
  reject(s.embed_dim > 0, "embed_dim", s.name, isotropic_only);
  reject(s.depth > 0, "depth", s.name, isotropic_only);
  reject(s.num_heads > 0, "num_heads", s.name, isotropic_only);
  if (!s.dims.empty()) o.dims = to_int64(s.dims);
  if (!s.depths.empty()) o.depths = to_int64(s.depths);
  if (!s.heads.empty()) o.heads = to_int64(s.heads);
  if (!s.sr_ratios.empty()) o.sr_ratios = to_int64(s.sr_ratios);
  if (!s.local_conv.empty()) o.local_conv = to_int64(s.local_conv);
  if (s.mlp_ratio > 0) o.mlp_ratio = s.mlp_ratio;
  apply_attention(s, o.attention, o.attention_options);
  o.drop_rate = s.drop_rate;
  o.drop_path = s.drop_path;
  return std::make_shared<SoftPyramid>(o);
}

std::vector<std::string> names() {
  std::vector<std::string> out;
  for (const auto& e : table()) out.push_back(e.info.name);
  return out;
}

}  // namespace

std::vector<ModelInfo> registered_models() {
  std::vector<ModelInfo> out;
  for (const auto& e : table()) out.push_back(e.info);
  return out;
}

ModelPtr build_model(const ModelSection& s, int64_t data_classes, int64_t data_channels) {
  for (const auto& entry : table()) {
    if (entry.info.name != s.name) continue;
    auto common = [&](auto& o) {
      if (s.img_size > 0) o.img_size = s.img_size;
      o.in_chans = s.in_chans > 0 ? s.in_chans : (data_channels > 0 ? data_channels : o.in_chans);
      o.num_classes = s.num_classes > 0 ? s.num_classes : (data_classes > 0 ? data_classes : o.num_classes);
    };
    if (entry.vit) {
      VitOptions o = *entry.vit;
      common(o);
      return build_vit(o, s);
    }
    PyramidOptions o = *entry.pyramid;
    common(o);
    return build_pyramid(o, s);
  }
  throw ConfigError(cat("unknown model '", s.name, "' (known: ", join(names(), ", "), ")"));
}

}  // namespace softvit
