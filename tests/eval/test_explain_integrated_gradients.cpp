// Integrated gradients (eval/explain/integrated_gradients.h) against closed forms and plain loops:
// a model whose logits are quadratic in the pixels, where the midpoint rule is exact; completeness
// on a ViT; the per-cell sums; and the map of every model family.
#include "catch.h"
#include "core/config.h"
#include "eval/explain/heat_map.h"
#include "eval/explain/integrated_gradients.h"
#include "explain_models.h"
#include "models/registry.h"

using namespace softvit;
using softvit::testing::small_explain_model;

namespace {

// logit_k = sum_i w_ki x_i^2 over the pixels i of a 1 x 2 x 2 image (channels summed): the gradient
// is 2 w_ki x_i, linear along the path a x, so IG_i = x_i * integral_0^1 2 w_ki a x_i da = w_ki x_i^2
// exactly for any number of midpoint steps.
struct QuadraticModel : Model {
  explicit QuadraticModel(torch::Tensor w) : weight(std::move(w)) {}
  torch::Tensor forward(torch::Tensor images) override {
    return images.pow(2).sum(1).flatten(1).matmul(weight.t());  // B x classes
  }
  std::string name() const override { return "quadratic"; }
  int64_t num_classes() const override { return weight.size(0); }
  torch::Tensor weight;  // classes x pixels
};

}  // namespace

TEST_CASE("Integrated gradients of a quadratic model equal the closed form", "[explain]") {
  QuadraticModel model(torch::tensor({{1.0f, -2.0f, 0.5f, 3.0f}, {0.0f, 1.0f, -1.0f, 2.0f}}));
  // Two channels; pixel i's value summed over channels enters squared per channel.
  const auto images = torch::tensor({{{{1.0f, 2.0f}, {-1.0f, 0.5f}}, {{0.0f, -1.0f}, {2.0f, 1.0f}}}});
  for (int64_t steps : {1, 3}) {
    const auto ig = integrated_gradients(model, images, torch::tensor({0}, torch::kLong), steps);
    REQUIRE(ig.sizes() == torch::IntArrayRef({1, 2, 2}));
    // Pixel (0,0): w 1 x (1^2 + 0^2) = 1; (0,1): -2 x (4 + 1) = -10; (1,0): 0.5 x (1 + 4) = 2.5;
    // (1,1): 3 x (0.25 + 1) = 3.75.
    CHECK(ig[0][0][0].item<float>() == Approx(1.0));
    CHECK(ig[0][0][1].item<float>() == Approx(-10.0));
    CHECK(ig[0][1][0].item<float>() == Approx(2.5));
    CHECK(ig[0][1][1].item<float>() == Approx(3.75));
  }
  const auto other = integrated_gradients(model, images, torch::tensor({1}, torch::kLong), 2);
  CHECK(other[0][0][1].item<float>() == Approx(5.0));
  CHECK(other[0][1][0].item<float>() == Approx(-5.0));
  for (const auto& p : model.parameters()) CHECK(!p.grad().defined());
}

TEST_CASE("Integrated gradients of a ViT are complete: they sum to y(x) - y(0)", "[explain]") {
  torch::manual_seed(3);
  auto model = small_explain_model("vit_mini_patch4_28", "softmax");
  model->eval();
  const auto images = torch::randn({2, 1, 32, 32});
  const auto classes = torch::tensor({1, 2}, torch::kLong);
  const auto ig = integrated_gradients(*model, images, classes, 64);
  torch::NoGradGuard no_grad;
  const auto at_x = model->forward(images).gather(1, classes.view({2, 1})).squeeze(1);
  const auto at_0 = model->forward(torch::zeros_like(images)).gather(1, classes.view({2, 1})).squeeze(1);
  const auto sums = ig.sum({1, 2});
  for (int64_t b = 0; b < 2; ++b) {
    const double change = (at_x[b] - at_0[b]).item<double>();
    INFO("image " << b << ": y(x) - y(0) = " << change << ", sum of attributions " << sums[b].item<double>());
    CHECK(std::abs(change) > 1e-3);
    CHECK(sums[b].item<double>() == Approx(change).epsilon(0.02).margin(1e-4));
  }
  for (const auto& p : model->parameters()) CHECK(!p.grad().defined());
}

TEST_CASE("Patch relevance sums each cell and keeps the positive part", "[explain]") {
  torch::manual_seed(4);
  const auto a = torch::randn({2, 7, 9});
  const int64_t cell = 4;
  const auto r = patch_relevance(a, cell);
  REQUIRE(r.sizes() == torch::IntArrayRef({2, 2, 3}));
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t gy = 0; gy < 2; ++gy)
      for (int64_t gx = 0; gx < 3; ++gx) {
        double sum = 0;
        for (int64_t y = gy * cell; y < std::min<int64_t>(7, (gy + 1) * cell); ++y)
          for (int64_t x = gx * cell; x < std::min<int64_t>(9, (gx + 1) * cell); ++x)
            sum += a[b][y][x].item<double>();
        CHECK(r[b][gy][gx].item<double>() == Approx(std::max(sum, 0.0)).margin(1e-5));
      }
}

TEST_CASE("Every model family has an integrated-gradient map on its finest grid, and it depends on the class",
          "[explain]") {
  for (const auto& family : testing::explain_families()) {
    INFO(family.name << " with " << family.attention << " attention");
    torch::manual_seed(2);
    auto model = small_explain_model(family.name, family.attention);
    const int64_t cell = family.pyramid ? 2 : 4;  // the small-image stem's stride 2; the ViT's patch 4
    CHECK(model->input_cell() == cell);
    const auto images = torch::randn({2, 1, 32, 32});
    const auto a = explain_images(*model, images, torch::tensor({0, 0}, torch::kLong),
                                  ExplainMethod::integrated_gradients);
    const auto b = explain_images(*model, images, torch::tensor({1, 1}, torch::kLong),
                                  ExplainMethod::integrated_gradients);
    REQUIRE(a.maps.sizes() == torch::IntArrayRef({2, 32, 32}));
    CHECK(a.maps.min().item<float>() >= 0.0f);
    CHECK(a.maps.max().item<float>() <= 1.0f);
    CHECK(a.maps.max().item<float>() > 0.0f);
    CHECK(!torch::allclose(a.maps, b.maps));
    CHECK(a.layer.find("summed per " + std::to_string(cell)) != std::string::npos);
    for (const auto& p : model->parameters()) CHECK(!p.grad().defined());
  }
}
