// Gradient-weighted attention rollout (eval/explain/gradient_rollout.h): the rule against a hand
// computation, the explicit operators against the attentions they stand for, and which families
// offer it.
#include "catch.h"
#include "core/config.h"
#include "eval/explain/gradient_rollout.h"
#include "eval/explain/heat_map.h"
#include "explain_models.h"
#include "models/attention_registry.h"
#include "models/registry.h"

using namespace softvit;
using softvit::testing::small_explain_model;

TEST_CASE("Gradient-weighted rollout adds mean_heads(ReLU(grad * A)) R block by block", "[explain]") {
  // One image, 2 heads, cls + 2 patches (grid 1 x 2), two blocks.
  const auto a1 = torch::tensor({{{0.5f, 0.25f, 0.25f}, {0.f, 1.f, 0.f}, {0.f, 0.f, 1.f}},
                                 {{0.5f, 0.4f, 0.1f}, {0.2f, 0.8f, 0.f}, {0.f, 0.f, 1.f}}})
                      .unsqueeze(0);
  const auto g1 = torch::tensor({{{1.f, 2.f, -1.f}, {0.f, 1.f, 0.f}, {0.f, 0.f, 1.f}},
                                 {{1.f, 1.f, 4.f}, {1.f, 0.5f, 0.f}, {0.f, 0.f, -1.f}}})
                      .unsqueeze(0);
  const auto a2 =
      torch::tensor({{0.2f, 0.2f, 0.6f}, {0.3f, 0.3f, 0.4f}, {0.f, 0.5f, 0.5f}}).expand({1, 2, 3, 3});
  const auto g2 = torch::tensor({{{1.f, -1.f, 1.f}, {0.f, 0.f, 0.f}, {0.f, 0.f, 0.f}},
                                 {{1.f, 3.f, 0.f}, {0.f, 0.f, 0.f}, {0.f, 0.f, 0.f}}})
                      .unsqueeze(0);
  AttentionMaps maps;
  maps.layers = {a1, a2};
  maps.extra_tokens = 1;
  maps.grid_h = 1;
  maps.grid_w = 2;
  // By hand. Block 1, W1 = mean_heads ReLU(g1 * a1):
  //   row 0: head 0 (0.5, 0.5, 0), head 1 (0.5, 0.4, 0.4) -> (0.5, 0.45, 0.2)
  //   row 1: head 0 (0, 1, 0), head 1 (0.2, 0.4, 0) -> (0.1, 0.7, 0); row 2: (0, 0, 0.5)
  //   R1 = I + W1: rows (1.5, 0.45, 0.2), (0.1, 1.7, 0), (0, 0, 1.5).
  // Block 2, W2 row 0: head 0 (0.2, 0, 0.6), head 1 (0.2, 0.6, 0) -> (0.2, 0.3, 0.3); other rows 0.
  //   R2 row 0 = R1 row 0 + W2 row 0 x R1 = (1.5, 0.45, 0.2) + (0.2 x 1.5 + 0.3 x 0.1,
  //   0.2 x 0.45 + 0.3 x 1.7, 0.2 x 0.2 + 0.3 x 1.5) = (1.83, 1.05, 0.69).
  const auto r = gradient_rollout_grid(maps, {g1, g2});
  REQUIRE(r.sizes() == torch::IntArrayRef({1, 1, 2}));
  CHECK(r[0][0][0].item<float>() == Approx(1.05));
  CHECK(r[0][0][1].item<float>() == Approx(0.69));
}

TEST_CASE("The explicit token-mixing operators reproduce softmax, SOFT and SOFT-Norm attention",
          "[explain]") {
  for (const char* kind : {"softmax", "soft", "soft_norm"}) {
    INFO(kind);
    torch::manual_seed(5);
    AttentionOptions o;
    o.dim = 16;
    o.num_heads = 2;
    o.sr_ratio = 2;
    o.local_conv = 3;
    auto attention = make_attention(kind, o);
    attention->eval();
    const auto x = torch::randn({2, 1 + 6 * 4, 16});  // a cls token and a 6 x 4 grid
    torch::NoGradGuard no_grad;
    torch::Tensor mixing;
    const auto y = attention->forward_with_operator(x, 6, 4, &mixing);
    REQUIRE(mixing.sizes() == torch::IntArrayRef({2, 2, 25, 25}));
    CHECK(torch::allclose(y, attention->forward(x, 6, 4), 1e-4, 1e-5));
  }
  AttentionOptions o;
  o.dim = 16;
  o.num_heads = 2;
  torch::Tensor mixing;
  CHECK(!make_attention("sima", o)->forward_with_operator(torch::randn({1, 5, 16}), 2, 2, &mixing).defined());
  CHECK(!mixing.defined());
}

TEST_CASE(
    "Gradient-weighted rollout is offered for softmax, SOFT and SOFT-Norm ViTs and depends on the class",
    "[explain]") {
  for (const char* kind : {"softmax", "soft", "soft_norm"}) {
    INFO(kind);
    torch::manual_seed(6);
    auto model = small_explain_model("vit_mini_patch4_28", kind);
    model->eval();
    const auto images = torch::randn({2, 1, 32, 32});
    {
      torch::AutoGradMode grad_on(true);
      const auto f = model->forward_attention_operators(images);
      CHECK(f.maps.layers.size() == 2);
      torch::NoGradGuard no_grad;
      CHECK(torch::allclose(f.logits.detach(), model->forward(images), 1e-4, 1e-5));
    }
    // Each image's map is its own: the batch equals the images one at a time.
    const auto both = gradient_rollout(*model, images, torch::tensor({0, 2}, torch::kLong));
    const auto second = gradient_rollout(*model, images.narrow(0, 1, 1), torch::tensor({2}, torch::kLong));
    CHECK(torch::allclose(both[1], second[0], 1e-4, 1e-6));
    const auto a =
        explain_images(*model, images, torch::tensor({0, 0}, torch::kLong), ExplainMethod::gradient_rollout);
    const auto b =
        explain_images(*model, images, torch::tensor({1, 1}, torch::kLong), ExplainMethod::gradient_rollout);
    REQUIRE(a.maps.sizes() == torch::IntArrayRef({2, 32, 32}));
    CHECK(a.maps.min().item<float>() >= 0.0f);
    CHECK(a.maps.max().item<float>() <= 1.0f);
    CHECK(!torch::allclose(a.maps, b.maps));
    for (const auto& p : model->parameters()) CHECK(!p.grad().defined());
  }
  for (const auto& [name, kind] : {std::pair<const char*, const char*>{"vit_mini_patch4_28", "seqnorm"},
                                   {"vit_mini_patch4_28", "sima"},
                                   {"soft_tiny_patch2_28", "soft"}}) {
    INFO(name << " " << kind);
    auto model = small_explain_model(name, kind);
    CHECK_THROWS_WITH(explain_images(*model, torch::randn({1, 1, 32, 32}), torch::tensor({0}, torch::kLong),
                                     ExplainMethod::gradient_rollout),
                      Catch::Contains("gradient-weighted rollout"));
  }
}
