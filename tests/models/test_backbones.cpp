// Registered backbones: published parameter counts, the SOFT release's parameter names, forward
// and backward at two resolutions for every registered model, and the config overrides.
#include "catch.h"
#include "core/config.h"
#include "core/error.h"
#include "models/attention/seqnorm.h"
#include "models/attention/soft.h"
#include "models/registry.h"
#include "models/soft_pyramid.h"
#include "models/vit.h"
#include "single_thread.h"

using namespace softvit;

namespace {

ModelSection section(const std::string& name) {
  ModelSection s;
  s.name = name;
  return s;
}

double millions(const std::string& name, const std::vector<int>& depths = {}) {
  auto s = section(name);
  s.depths = depths;
  return count_parameters(*build_model(s, 1000, 3)) / 1e6;
}

}  // namespace

// models.md: the release's counts, to the published precision.
TEST_CASE("backbones: SOFT tiny small medium parameter counts equal the published ones",
          "[models][backbones]") {
  SingleThread one_thread;
  CHECK(millions("soft_tiny") == Approx(13.07).margin(0.005));
  CHECK(millions("soft_small") == Approx(24.1).margin(0.05));  // the paper's depths 1,3,7,4
  CHECK(millions("soft_medium") == Approx(45.8).margin(0.05));
  // The release's own soft_small has depths 1,3,20,4 and 38.86M: registered as soft_small_release.
  CHECK(millions("soft_small_release") == Approx(38.86).margin(0.005));
  CHECK(millions("soft_small_release") == Approx(millions("soft_small", {1, 3, 20, 4})));
}

TEST_CASE("backbones: SOFT large and huge parameter counts equal the published ones", "[models][backbones]") {
  SingleThread one_thread;
  CHECK(millions("soft_large") == Approx(64.7).margin(0.05));
  CHECK(millions("soft_huge") == Approx(87.1).margin(0.05));
}

TEST_CASE("backbones: SOFT-Norm twins have the SOFT parameters exactly", "[models][backbones]") {
  // Same names and shapes at one block per stage (deeper stages repeat the same block), and the
  // full tiny model counts the same.
  SingleThread one_thread;
  for (const std::string size : {"tiny", "small", "medium", "large", "huge"}) {
    CAPTURE(size);
    auto shapes = [](const std::string& name) {
      auto s = section(name);
      s.depths = {1, 1, 1, 1};
      std::map<std::string, std::vector<int64_t>> out;
      for (const auto& p : build_model(s, 1000, 3)->named_parameters())
        out[p.key()] = p.value().sizes().vec();
      return out;
    };
    CHECK(shapes("soft_" + size) == shapes("soft_norm_" + size));
  }
  CHECK(millions("soft_norm_tiny") == Approx(13.07).margin(0.005));
}

TEST_CASE("backbones: DeiT sizes with seqnorm add only the normalisation affines", "[models][backbones]") {
  SingleThread one_thread;
  // sfvit = deit + per block 3 x (gamma, beta) of width C.
  CHECK(millions("sfvit_tiny") * 1e6 == Approx(5717416 + 12 * 6 * 192).margin(0.5));
  CHECK(millions("sfvit_small") * 1e6 == Approx(22050664 + 12 * 6 * 384).margin(0.5));
}

TEST_CASE("backbones: SOFT parameter names and shapes follow the release", "[models][backbones]") {
  SingleThread one_thread;
  const auto model = build_model(section("soft_tiny"), 1000, 3);
  const auto params = model->named_parameters();
  const auto buffers = model->named_buffers();
  const std::map<std::string, std::vector<int64_t>> expected = {
      {"patch_embed1.proj.0.weight", {32, 3, 3, 3}},
      {"patch_embed1.proj.0.bias", {32}},
      {"patch_embed1.proj.4.weight", {32}},
      {"patch_embed1.proj.6.weight", {64, 32, 3, 3}},
      {"patch_embed4.proj.0.weight", {512, 320, 3, 3}},
      {"patch_embed4.proj.1.bias", {512}},
      {"pos_embed1", {1, 3136, 64}},
      {"pos_embed2", {1, 784, 128}},
      {"pos_embed3", {1, 196, 320}},
      {"pos_embed4", {1, 50, 512}},
      {"cls_token", {1, 1, 512}},
      {"block1.0.att.mha.W_q.weight", {64, 64}},
      {"block1.0.att.mha.W_v.bias", {64}},
      {"block1.0.att.mha.attn.Qlandmark_op.weight", {32, 32, 8, 8}},
      {"block1.0.att.mha.attn.Qnorm_act.0.weight", {32}},
      {"block1.0.att.mha.attn.conv.weight", {2, 1, 9, 9}},
      {"block1.0.att.mha.ff.weight", {64, 64}},
      {"block1.0.att.norm1.weight", {64}},
      {"block1.0.att.ff1.weight", {256, 64}},
      {"block1.0.att.ff2.bias", {64}},
      {"block2.1.att.mha.attn.conv.weight", {4, 1, 5, 5}},
      {"block3.2.att.mha.attn.Qlandmark_op.weight", {32, 32, 2, 2}},
      {"block3.2.att.norm2.bias", {320}},
      {"block4.0.attn.q.weight", {512, 512}},
      {"block4.0.attn.kv.weight", {1024, 512}},
      {"block4.1.attn.proj.bias", {512}},
      {"block4.1.norm1.weight", {512}},
      {"block4.1.mlp.fc1.weight", {2048, 512}},
      {"norm.weight", {512}},
      {"head.weight", {1000, 512}},
  };
  for (const auto& [name, shape] : expected) {
    CAPTURE(name);
    REQUIRE(params.contains(name));
    CHECK(params[name].sizes() == torch::IntArrayRef(shape));
  }
  CHECK(buffers.contains("patch_embed1.proj.7.running_var"));
  CHECK(!params.contains("block1.0.att.mha.W_k.weight"));  // tied Q = K
}

// Forward and backward at two resolutions (the position embeddings resize), batch 2, with one
// block per stage / one block in all, which still covers every block kind.
void check_family_trains(const std::string& family) {
  SingleThread one_thread;
  torch::manual_seed(0);
  int checked = 0;
  for (const auto& info : registered_models()) {
    if (info.family != family) continue;
    CAPTURE(info.name);
    auto s = section(info.name);
    if (family == "pyramid")
      s.depths = {1, 1, 1, 1};
    else
      s.depth = 1;
    const auto model = build_model(s, 5, info.in_chans);
    const std::vector<int64_t> sizes =
        info.img_size <= 64 ? std::vector<int64_t>{28, 40} : std::vector<int64_t>{64, 96};
    for (int64_t px : sizes) {
      CAPTURE(px);
      const auto logits = model->forward(torch::randn({2, info.in_chans, px, px}));
      REQUIRE(logits.sizes() == torch::IntArrayRef{2, 5});
      REQUIRE(torch::isfinite(logits).all().item<bool>());
      logits.pow(2).sum().backward();
      for (const auto& p : model->named_parameters()) {
        CAPTURE(p.key());
        REQUIRE(p.value().grad().defined());
        CHECK(torch::isfinite(p.value().grad()).all().item<bool>());
        if (p.key().find("pos_embed") != std::string::npos)  // the resized embeddings learn
          CHECK(p.value().grad().abs().sum().item<double>() > 0);
      }
      model->zero_grad();
    }
    ++checked;
  }
  CHECK(checked >= 9);
}

TEST_CASE("backbones: every isotropic model runs forward and backward at two resolutions",
          "[models][backbones]") {
  check_family_trains("vit");
}

TEST_CASE("backbones: every pyramid model runs forward and backward at two resolutions",
          "[models][backbones]") {
  check_family_trains("pyramid");
}

TEST_CASE("backbones: attention kind and its settings are overridable", "[models][backbones]") {
  SingleThread one_thread;
  auto s = section("soft_tiny");
  s.depths = {1, 1, 1, 1};
  s.attention = "seqnorm";
  auto pyramid = std::dynamic_pointer_cast<SoftPyramid>(build_model(s, 10, 3));
  REQUIRE(pyramid);
  CHECK(std::dynamic_pointer_cast<SeqNormAttention>(pyramid->stage_blocks[0][0]->mha));

  s.attention = "";
  s.landmarks = "avgpool";
  s.landmark_count = 16;
  s.local_conv = {0, 3, 3};
  s.dims = {32, 64, 96, 128};
  s.heads = {1, 2, 3, 4};
  pyramid = std::dynamic_pointer_cast<SoftPyramid>(build_model(s, 10, 3));
  auto soft = std::dynamic_pointer_cast<SoftAttention>(pyramid->stage_blocks[0][0]->mha);
  REQUIRE(soft);
  CHECK(!soft->attn->Qlandmark_op);  // avgpool: nothing learnable
  CHECK(!soft->attn->conv);          // local_conv 0 in stage 1
  CHECK(soft->attn->landmark_count == 16);
  CHECK(pyramid->head->weight.sizes() == torch::IntArrayRef{10, 128});

  auto v = section("deit_tiny");
  v.attention = "soft_norm";
  v.depth = 1;
  v.sr_ratios = {1};
  auto vit = std::dynamic_pointer_cast<VisionTransformer>(build_model(v, 10, 3));
  REQUIRE(vit);
  auto block = vit->blocks[0]->as<VitBlock>();
  REQUIRE(std::dynamic_pointer_cast<SoftAttention>(block->attn));
  CHECK(std::dynamic_pointer_cast<SoftAttention>(block->attn)->attn->symmetric_norm);
}

TEST_CASE("backbones: overrides that do not fit the model are errors naming the key", "[models][backbones]") {
  auto s = section("soft_tiny");
  s.embed_dim = 96;
  CHECK_THROWS_WITH(build_model(s, 10, 3),
                    Catch::Contains("model.embed_dim") && Catch::Contains("model.dims"));
  s = section("soft_tiny");
  s.dims = {64, 128, 320};
  CHECK_THROWS_WITH(build_model(s, 10, 3), Catch::Contains("model.dims") && Catch::Contains("4 values"));
  s = section("soft_tiny");
  s.heads = {3, 4, 10, 16};
  CHECK_THROWS_WITH(build_model(s, 10, 3), Catch::Contains("divisible"));
  s = section("soft_tiny");
  s.attention = "performer";
  CHECK_THROWS_WITH(build_model(s, 10, 3), Catch::Contains("model.attention") &&
                                               Catch::Contains("performer") && Catch::Contains("seqnorm"));
  auto v = section("deit_tiny");
  v.depths = {1, 1, 1, 1};
  CHECK_THROWS_WITH(build_model(v, 10, 3), Catch::Contains("model.depths"));
  v = section("deit_tiny");
  v.sr_ratios = {2, 2};
  CHECK_THROWS_WITH(build_model(v, 10, 3), Catch::Contains("model.sr_ratios"));
  CHECK_THROWS_WITH(parse_config("model: {landmark_count: 50}", "inline"),
                    Catch::Contains("model.landmark_count"));
  CHECK_THROWS_WITH(parse_config("model: {landmarks: maxpool}", "inline"),
                    Catch::Contains("model.landmarks"));
}
