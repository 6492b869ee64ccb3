// SmoothGrad on integrated gradients (eval/explain/smoothgrad.h) against plain integrated gradients
// and a plain loop: without noise it is integrated gradients; with noise it is the mean of integrated
// gradients over the same noisy copies, each image on its own; and it is reproducible.
#include "catch.h"
#include "eval/explain/heat_map.h"
#include "eval/explain/integrated_gradients.h"
#include "eval/explain/smoothgrad.h"
#include "explain_models.h"

using namespace softvit;
using softvit::testing::small_explain_model;

TEST_CASE("SmoothGrad's noise images and noise level", "[explain]") {
  const auto a = smoothgrad_noise(3, 2, 5, 7, 42), b = smoothgrad_noise(3, 2, 5, 7, 42);
  REQUIRE(a.sizes() == torch::IntArrayRef({3, 2, 5, 7}));
  CHECK(torch::equal(a, b));
  CHECK(!torch::equal(a, smoothgrad_noise(3, 2, 5, 7, 43)));
  const auto many = smoothgrad_noise(4, 1, 100, 100, 0);
  CHECK(std::abs(many.mean().item<double>()) < 0.02);
  CHECK(many.std().item<double>() == Approx(1.0).epsilon(0.02));
  // Image 0 spans -1..3 (range 4), image 1 is constant (range 0).
  const auto images = torch::tensor({{{{-1.0f, 0.0f}, {3.0f, 2.0f}}}, {{{5.0f, 5.0f}, {5.0f, 5.0f}}}});
  const auto sd = smoothgrad_sd(images, 0.15);
  REQUIRE(sd.sizes() == torch::IntArrayRef({2, 1, 1, 1}));
  CHECK(sd[0].item<double>() == Approx(0.6));
  CHECK(sd[1].item<double>() == 0.0);
}

TEST_CASE("SmoothGrad integrated gradients without noise are integrated gradients", "[explain]") {
  torch::manual_seed(5);
  auto model = small_explain_model("vit_mini_patch4_28", "softmax");
  model->eval();
  const auto images = torch::randn({2, 1, 32, 32});
  const auto classes = torch::tensor({0, 2}, torch::kLong);
  const auto ig = integrated_gradients(*model, images, classes, 4);
  // One copy without noise: the same passes on the same input, so exactly the same numbers.
  CHECK(torch::equal(smoothgrad_integrated_gradients(*model, images, classes, {1, 0.0, 4, 0}), ig));
  // Eight copies: the mean of eight equal terms, equal up to the sum's rounding.
  CHECK(torch::allclose(smoothgrad_integrated_gradients(*model, images, classes, {8, 0.0, 4, 0}), ig, 1e-5,
                        1e-7));
  for (const auto& p : model->parameters()) CHECK(!p.grad().defined());
}

TEST_CASE("SmoothGrad integrated gradients are the mean of integrated gradients over the noisy copies",
          "[explain]") {
  torch::manual_seed(6);
  auto model = small_explain_model("vit_mini_patch4_28", "softmax");
  model->eval();
  const auto images = torch::randn({3, 1, 32, 32}) * torch::tensor({0.5f, 1.0f, 2.0f}).view({3, 1, 1, 1});
  const auto classes = torch::tensor({1, 0, 2}, torch::kLong);
  const SmoothGradSettings settings{5, 0.2, 3, 11};
  const auto smooth = smoothgrad_integrated_gradients(*model, images, classes, settings);
  REQUIRE(smooth.sizes() == torch::IntArrayRef({3, 32, 32}));
  const auto noise = smoothgrad_noise(5, 1, 32, 32, 11);
  for (int64_t b = 0; b < 3; ++b) {
    // Image b alone: its noise sd from its own range, each copy's integrated gradients, their mean.
    const auto image = images.narrow(0, b, 1);
    const double sd = 0.2 * (image.max().item<double>() - image.min().item<double>());
    auto sum = torch::zeros({1, 32, 32});
    for (int64_t k = 0; k < 5; ++k)
      sum += integrated_gradients(*model, image + sd * noise[k], classes.narrow(0, b, 1), 3);
    INFO("image " << b);
    CHECK(torch::allclose(smooth.narrow(0, b, 1), sum / 5.0, 1e-4, 1e-6));
  }
  CHECK(!torch::allclose(smooth, integrated_gradients(*model, images, classes, 3), 1e-3, 1e-5));
}

TEST_CASE("SmoothGrad integrated gradients are reproducible and leave the global random state alone",
          "[explain]") {
  torch::manual_seed(7);
  auto model = small_explain_model("vit_mini_patch4_28", "soft");
  model->eval();
  const auto images = torch::randn({2, 1, 32, 32});
  const auto classes = torch::tensor({1, 1}, torch::kLong);
  const SmoothGradSettings settings{3, 0.15, 2, 0};
  torch::manual_seed(100);
  const auto first = smoothgrad_integrated_gradients(*model, images, classes, settings);
  const auto after_first = torch::randn({4});
  torch::manual_seed(100);
  const auto second = smoothgrad_integrated_gradients(*model, images, classes, settings);
  CHECK(torch::equal(first, second));
  CHECK(torch::equal(after_first, torch::randn({4})));  // no draw from the global generator
  SmoothGradSettings other = settings;
  other.seed = 1;
  CHECK(!torch::allclose(first, smoothgrad_integrated_gradients(*model, images, classes, other)));
}

// It calls nothing of a model but integrated_gradients(), which the families' test covers
// (test_explain_integrated_gradients.cpp); here a ViT and a pyramid through explain_images.
TEST_CASE("explain_images gives a SmoothGrad map on the finest grid of a ViT and a pyramid", "[explain]") {
  const std::vector<testing::ExplainFamily> families = {{"vit_mini_patch4_28", "softmax", false},
                                                        {"soft_tiny_patch2_28", "soft", true}};
  for (const auto& family : families) {
    INFO(family.name << " with " << family.attention << " attention");
    torch::manual_seed(2);
    auto model = small_explain_model(family.name, family.attention);
    const auto images = torch::randn({2, 1, 32, 32});
    const auto a = explain_images(*model, images, torch::tensor({0, 0}, torch::kLong),
                                  ExplainMethod::smoothgrad_integrated_gradients);
    const auto b = explain_images(*model, images, torch::tensor({1, 1}, torch::kLong),
                                  ExplainMethod::smoothgrad_integrated_gradients);
    REQUIRE(a.maps.sizes() == torch::IntArrayRef({2, 32, 32}));
    CHECK(a.maps.min().item<float>() >= 0.0f);
    CHECK(a.maps.max().item<float>() <= 1.0f);
    CHECK(a.maps.max().item<float>() > 0.0f);
    CHECK(!torch::allclose(a.maps, b.maps));
    const int64_t cell = family.pyramid ? 2 : 4;
    CHECK(a.layer.find("8 noisy copies (sd 15% of the image's range), 8 steps") != std::string::npos);
    CHECK(a.layer.find("summed per " + std::to_string(cell)) != std::string::npos);
    for (const auto& p : model->parameters()) CHECK(!p.grad().defined());
  }
}
