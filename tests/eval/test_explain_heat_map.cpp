// Grad-CAM and attention rollout arithmetic (eval/explain/heat_map.h) on cases small enough to
// check by hand or against a plain loop, the token map of every model family, and the choice of
// images to explain.
#include <cmath>

#include "catch.h"
#include "core/config.h"
#include "eval/explain/heat_map.h"
#include "eval/explain/selection.h"
#include "explain_models.h"
#include "models/registry.h"

using namespace softvit;
using softvit::testing::small_explain_model;

namespace {

// A model whose token map is given: logits = W^T (mean of the grid tokens), so
// d logit_k / d t_nc = W_ck / cells and the Grad-CAM map is ReLU(sum_c W_ck t_nc / cells).
TokenMapForward linear_token_map(const torch::Tensor& tokens, const torch::Tensor& weight, int64_t h,
                                 int64_t w) {
  TokenMapForward f;
  f.tokens = tokens.clone().requires_grad_(true);
  f.extra_tokens = 1;
  f.grid_h = h;
  f.grid_w = w;
  f.logits = f.tokens.narrow(1, 1, h * w).mean(1).matmul(weight);
  return f;
}

}  // namespace

TEST_CASE("Grad-CAM of a linear read-out equals the hand computation", "[explain]") {
  // One image, a cls token and a 1 x 2 grid of 2-channel tokens; 2 classes.
  const auto tokens = torch::tensor({{{9.0f, 9.0f}, {1.0f, 2.0f}, {3.0f, -1.0f}}});
  const auto weight = torch::tensor({{1.0f, -1.0f}, {2.0f, 0.5f}});  // C x classes
  const auto f = linear_token_map(tokens, weight, 1, 2);
  // Class 0: weights (1, 2) / 2; token 1: (1 + 4) / 2 = 2.5; token 2: (3 - 2) / 2 = 0.5.
  const auto map0 = grad_cam_grid(f, torch::tensor({0}, torch::kLong));
  CHECK(map0.sizes() == torch::IntArrayRef({1, 1, 2}));
  CHECK(map0[0][0][0].item<float>() == Approx(2.5));
  CHECK(map0[0][0][1].item<float>() == Approx(0.5));
  // Class 1: weights (-1, 0.5) / 2; token 1: (-1 + 1) / 2 = 0; token 2: (-3 - 0.5) / 2 < 0 -> 0 by ReLU.
  const auto f1 = linear_token_map(tokens, weight, 1, 2);
  const auto map1 = grad_cam_grid(f1, torch::tensor({1}, torch::kLong));
  CHECK(map1[0][0][0].item<float>() == Approx(0.0).margin(1e-6));
  CHECK(map1[0][0][1].item<float>() == Approx(0.0).margin(1e-6));
  // The cls token's large values never enter the map.
}

TEST_CASE("Grad-CAM of a ViT equals a plain loop over the token gradient", "[explain]") {
  torch::manual_seed(1);
  auto model = small_explain_model("vit_mini_patch4_28", "softmax");
  model->eval();
  const auto images = torch::randn({2, 1, 32, 32});
  torch::AutoGradMode grad_on(true);
  const TokenMapForward f = model->forward_token_map(images);
  CHECK(f.grid_h == 8);
  CHECK(f.grid_w == 8);
  CHECK(f.extra_tokens == 1);
  CHECK(f.layer.find("blocks.1.norm1") == 0);
  {
    torch::NoGradGuard no_grad;  // the tap leaves the function as it was
    CHECK(torch::allclose(f.logits.detach(), model->forward(images), 1e-4, 1e-5));
  }
  const std::vector<int64_t> classes = {2, 0};

  // The same by hand: each image's logit alone, its gradient, then loops in double.
  std::vector<torch::Tensor> expected;
  for (int64_t b = 0; b < 2; ++b) {
    const auto g = torch::autograd::grad({f.logits[b][classes[b]]}, {f.tokens}, {}, true)[0][b];
    const auto a = f.tokens.detach()[b];
    const int64_t cells = 64, channels = a.size(1);
    auto map = torch::zeros({cells}, torch::kDouble);
    for (int64_t n = 0; n < cells; ++n) {
      double value = 0;
      for (int64_t c = 0; c < channels; ++c) {
        double weight = 0;
        for (int64_t m = 0; m < cells; ++m) weight += g[1 + m][c].item<double>();
        value += weight / cells * a[1 + n][c].item<double>();
      }
      map[n] = std::max(value, 0.0);
    }
    expected.push_back(map.reshape({8, 8}));
  }
  const auto cam = grad_cam_grid(f, torch::tensor(classes, torch::kLong));
  for (int64_t b = 0; b < 2; ++b) {
    CHECK(expected[static_cast<size_t>(b)].max().item<double>() > 0);
    CHECK(torch::allclose(cam[b].to(torch::kDouble), expected[static_cast<size_t>(b)], 1e-4, 1e-6));
  }
  // Nothing upstream of the map is differentiated: the parameters get no gradient.
  for (const auto& p : model->parameters()) CHECK(!p.grad().defined());
}

TEST_CASE("Heat maps are bilinear to the image and scaled to [0, 1]", "[explain]") {
  const auto grid = torch::tensor({{{0.0f, 2.0f}, {0.0f, 0.0f}}, {{1.0f, 1.0f}, {1.0f, 1.0f}}});
  const auto maps = to_image_maps(grid, 8, 8);
  REQUIRE(maps.sizes() == torch::IntArrayRef({2, 8, 8}));
  CHECK(maps[0].max().item<float>() == Approx(1.0));
  CHECK(maps[0].min().item<float>() == Approx(0.0));
  const auto at = maps[0].flatten().argmax().item<int64_t>();
  CHECK(at / 8 < 4);  // the top right quarter
  CHECK(at % 8 >= 4);
  CHECK(maps[1].abs().max().item<float>() == 0.0f);  // constant: nothing to show
}

TEST_CASE("Attention rollout multiplies head-averaged attention plus identity", "[explain]") {
  // One image, 2 heads, cls + 2 patches (grid 1 x 2), two blocks.
  const auto p1 = torch::tensor({{{0.5f, 0.25f, 0.25f}, {0.f, 1.f, 0.f}, {0.f, 0.f, 1.f}},
                                 {{0.5f, 0.45f, 0.05f}, {0.f, 1.f, 0.f}, {0.f, 0.f, 1.f}}})
                      .unsqueeze(0);
  const auto p2 = torch::tensor({{0.2f, 0.2f, 0.6f}, {0.3f, 0.3f, 0.4f}, {1.f / 3, 1.f / 3, 1.f / 3}})
                      .expand({1, 2, 3, 3});
  AttentionMaps maps;
  maps.layers = {p1, p2};
  maps.extra_tokens = 1;
  maps.grid_h = 1;
  maps.grid_w = 2;
  // By hand: A1 = (mean + I) / 2 rows: [0.75, 0.175, 0.075], [0, 1, 0], [0, 0, 1];
  // A2 row 0 = [0.6, 0.1, 0.3]; rollout row 0 = A2 row 0 x A1 = [0.45, 0.205, 0.345].
  const auto r = rollout_grid(maps);
  REQUIRE(r.sizes() == torch::IntArrayRef({1, 1, 2}));
  CHECK(r[0][0][0].item<float>() == Approx(0.6 * 0.175 + 0.1));
  CHECK(r[0][0][1].item<float>() == Approx(0.6 * 0.075 + 0.3));
}

TEST_CASE("Every model family has a token map, and explanations depend on the class", "[explain]") {
  for (const auto& family : testing::explain_families()) {
    const int64_t grid = family.pyramid ? 2 : 8;  // 32 px: stage 4 of the small-image stem; patch 4
    INFO(family.name << " with " << family.attention << " attention");
    torch::manual_seed(2);
    auto model = small_explain_model(family.name, family.attention);
    model->eval();
    const auto images = torch::randn({2, 1, 32, 32});
    {
      torch::AutoGradMode grad_on(true);
      const TokenMapForward f = model->forward_token_map(images);
      CHECK(f.grid_h == grid);
      torch::NoGradGuard no_grad;
      CHECK(torch::allclose(f.logits.detach(), model->forward(images), 1e-4, 1e-5));
    }
    const auto a =
        explain_images(*model, images, torch::tensor({0, 0}, torch::kLong), ExplainMethod::grad_cam);
    const auto b =
        explain_images(*model, images, torch::tensor({1, 1}, torch::kLong), ExplainMethod::grad_cam);
    REQUIRE(a.maps.sizes() == torch::IntArrayRef({2, 32, 32}));
    CHECK(a.maps.min().item<float>() >= 0.0f);
    CHECK(a.maps.max().item<float>() <= 1.0f);
    CHECK(!torch::allclose(a.maps, b.maps));
    if (std::string(family.attention) != "softmax" || std::string(family.name) != "vit_mini_patch4_28")
      CHECK_THROWS_WITH(explain_images(*model, images, torch::tensor({0, 0}), ExplainMethod::rollout),
                        Catch::Contains("rollout"));
  }
}

TEST_CASE("eval --explain chooses confident correct, confident wrong and uncertain images per class",
          "[explain]") {
  // Rows: label, p(class 1).
  const std::vector<std::pair<int64_t, double>> rows = {{0, 0.1}, {0, 0.3},  {0, 0.9}, {0, 0.6}, {0, 0.45},
                                                        {1, 0.8}, {1, 0.99}, {1, 0.2}, {1, 0.51}};
  std::vector<std::vector<double>> p;
  std::vector<int64_t> labels;
  for (const auto& [label, p1] : rows) {
    p.push_back({1 - p1, p1});
    labels.push_back(label);
  }
  const auto chosen = choose_images_to_explain(ScoreMatrix::from_rows(p), labels, 1);
  std::vector<std::pair<std::string, int64_t>> got;
  for (const auto& c : chosen) got.emplace_back(c.group, c.row);
  const std::vector<std::pair<std::string, int64_t>> expected = {
      {"correct", 0}, {"wrong", 2}, {"uncertain", 4}, {"correct", 6}, {"wrong", 7}, {"uncertain", 8}};
  CHECK(got == expected);
  CHECK(chosen[1].predicted == 1);
  CHECK(choose_images_to_explain(ScoreMatrix::from_rows(p), labels, 5).size() == 9);  // each image once
}
