#include "catch.h"
#include "core/config/model_section.h"
#include "core/error.h"
#include "models/attention/softmax.h"
#include "models/registry.h"
#include "models/vit.h"

using namespace softvit;

namespace {

ModelPtr make(const std::string& name, int64_t classes, int64_t chans) {
  ModelSection s;
  s.name = name;
  return build_model(s, classes, chans);
}

}  // namespace

TEST_CASE("vit: DeiT parameter counts equal timm's", "[models][vit]") {
  CHECK(count_parameters(*make("deit_tiny", 1000, 3)) == 5717416);
  CHECK(count_parameters(*make("deit_small", 1000, 3)) == 22050664);
}

TEST_CASE("vit: parameter names follow timm's vision_transformer", "[models][vit]") {
  auto model = make("deit_tiny", 1000, 3);
  auto params = model->named_parameters();
  for (const char* name : {"cls_token", "pos_embed", "patch_embed.proj.weight", "blocks.0.norm1.weight",
                           "blocks.0.attn.qkv.weight", "blocks.0.attn.qkv.bias", "blocks.0.attn.proj.weight",
                           "blocks.11.mlp.fc1.weight", "blocks.11.mlp.fc2.bias", "blocks.11.norm2.bias",
                           "norm.weight", "head.weight", "head.bias"})
    CHECK(params.contains(name));
  CHECK(params["pos_embed"].sizes() == torch::IntArrayRef{1, 197, 192});
  CHECK(params.size() == 4 + 12 * 12 + 2 + 2);  // embeddings, blocks, norm, head
}

TEST_CASE("vit: softmax attention equals the explicit softmax(QK^T/sqrt(d))V", "[models][vit]") {
  torch::manual_seed(0);
  SoftmaxAttention attn(32, 4, true, 0.0);
  attn.to(torch::kFloat64);
  auto x = torch::randn({2, 9, 32}, torch::kFloat64);
  auto qkv = attn.qkv->forward(x).reshape({2, 9, 3, 4, 8}).permute({2, 0, 3, 1, 4});
  auto scores = torch::matmul(qkv[0], qkv[1].transpose(-2, -1)) / std::sqrt(8.0);
  auto y = torch::matmul(torch::softmax(scores, -1), qkv[2]).transpose(1, 2).reshape({2, 9, 32});
  CHECK(torch::allclose(attn.forward(x, 3, 3), attn.proj->forward(y), 1e-10, 1e-12));
}

TEST_CASE("vit: forward and backward at two resolutions (position embeddings resize)", "[models][vit]") {
  torch::manual_seed(0);
  auto model = make("vit_mini_patch4_28", 10, 1);
  for (int64_t px : {28, 40}) {
    auto x = torch::randn({2, 1, px, px});
    auto logits = model->forward(x);
    CHECK(logits.sizes() == torch::IntArrayRef{2, 10});
    logits.sum().backward();
    auto grad = model->named_parameters()["pos_embed"].grad();
    REQUIRE(grad.defined());
    CHECK(grad.abs().sum().item<double>() > 0);
    model->zero_grad();
  }
}

TEST_CASE("vit: size overrides apply and bad combinations and names are errors", "[models][vit]") {
  ModelSection s;
  s.name = "vit_mini_patch4_28";
  s.depth = 2;
  s.embed_dim = 64;
  s.num_heads = 2;
  auto model = std::dynamic_pointer_cast<VisionTransformer>(build_model(s, 7, 1));
  REQUIRE(model);
  CHECK(model->blocks->size() == 2);
  CHECK(model->head->weight.sizes() == torch::IntArrayRef{7, 64});
  s.num_heads = 3;
  CHECK_THROWS_AS(build_model(s, 7, 1), ConfigError);
  s.name = "deit_tinny";
  CHECK_THROWS_WITH(build_model(s, 7, 1), Catch::Contains("deit_tinny") && Catch::Contains("deit_tiny"));
}

TEST_CASE("vit: drop path is identity in eval and rescales kept samples in training", "[models][vit]") {
  torch::manual_seed(1);
  DropPath drop(0.5);
  auto x = torch::ones({4000, 3});
  drop.eval();
  CHECK(drop.forward(x).equal(x));
  drop.train();
  auto y = drop.forward(x);
  auto per_sample = y.select(1, 0);
  CHECK(((per_sample == 0) | (per_sample == 2)).all().item<bool>());  // dropped or scaled by 1/keep
  CHECK(per_sample.mean().item<double>() == Approx(1.0).margin(0.06));
}
