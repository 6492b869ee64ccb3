// Mixup / CutMix targets and pixels, random erasing boxes, and the Beta sampler they rely on.
#include "data/transforms/mixup.h"
#include "data/transforms/random_erasing.h"
#include "data_test_util.h"

using namespace softvit;

TEST_CASE("rng: symmetric Beta draws have the right mean and variance", "[data][mixup]") {
  for (double a : {0.8, 1.0}) {
    Rng rng(42);
    double sum = 0, sum2 = 0;
    const int n = 40000;
    for (int i = 0; i < n; ++i) {
      const double x = rng.beta(a, a);
      REQUIRE(x >= 0);
      REQUIRE(x <= 1);
      sum += x;
      sum2 += x * x;
    }
    const double mean = sum / n, var = sum2 / n - mean * mean;
    CHECK(mean == Approx(0.5).margin(0.01));
    CHECK(var == Approx(1.0 / (4.0 * (2.0 * a + 1.0))).margin(0.004));  // a^2 / ((2a)^2 (2a + 1))
  }
}

TEST_CASE("mixup: blended pixels and smoothed targets that sum to 1", "[data][mixup]") {
  MixupOptions o;
  o.mixup_alpha = 0.8;
  o.classes = 5;
  o.label_smoothing = 0.1;
  Rng rng(7);
  const MixPlan plan = plan_mix(o, 4, 4, rng);
  REQUIRE_FALSE(plan.cutmix);
  REQUIRE(plan.lambda < 1.0);
  auto images = torch::rand({3, 2, 4, 4});
  const auto original = images.clone();
  apply_mix(images, plan);
  const auto expected = original * plan.lambda + original.flip(0) * (1 - plan.lambda);
  CHECK(torch::allclose(images, expected, 1e-6, 1e-6));
  const auto labels = torch::tensor({0, 3, 4}, torch::kInt64);
  const auto t = mix_targets(labels, o, plan);
  REQUIRE(t.sizes() == torch::IntArrayRef{3, 5});
  CHECK(torch::allclose(t.sum(1), torch::ones({3}), 1e-6, 1e-6));
  // Sample 0 (class 0) mixed with sample 2 (class 4): on = 1 - 0.1 + 0.02, off = 0.02.
  const double on = 0.92, off = 0.02, lam = plan.lambda;
  CHECK(t[0][0].item<double>() == Approx(lam * on + (1 - lam) * off));
  CHECK(t[0][4].item<double>() == Approx(lam * off + (1 - lam) * on));
  CHECK(t[0][1].item<double>() == Approx(off));

  o.prob = 0.0;  // never mixed: lambda 1, plain smoothed one-hot targets
  Rng again(7);
  const MixPlan none = plan_mix(o, 4, 4, again);
  CHECK(none.lambda == 1.0);
  CHECK(mix_targets(labels, o, none)[1][3].item<double>() == Approx(on));
}

TEST_CASE("cutmix: lambda equals one minus the pasted box's share of the image", "[data][mixup]") {
  MixupOptions o;
  o.mixup_alpha = 0.8;
  o.cutmix_alpha = 1.0;
  o.switch_prob = 0.5;
  o.classes = 3;
  int cutmixes = 0;
  for (uint64_t s = 0; s < 200; ++s) {
    Rng rng(s);
    const MixPlan plan = plan_mix(o, 20, 30, rng);
    if (!plan.cutmix) continue;
    ++cutmixes;
    REQUIRE(0 <= plan.top);
    REQUIRE(plan.bottom <= 20);
    REQUIRE(0 <= plan.left);
    REQUIRE(plan.right <= 30);
    // Batch of 2: sample 0 all zeros, sample 1 all ones; after cutmix the ones in sample 0 are
    // exactly the box, and their share is 1 - lambda.
    auto images = torch::stack({torch::zeros({1, 20, 30}), torch::ones({1, 20, 30})});
    apply_mix(images, plan);
    const double pasted = images[0].mean().item<double>();
    CHECK(pasted == Approx(1.0 - plan.lambda).margin(1e-9));
    const auto t = mix_targets(torch::tensor({0, 2}, torch::kInt64), o, plan);
    CHECK(torch::allclose(t.sum(1), torch::ones({2}), 1e-6, 1e-6));
  }
  CHECK(cutmixes > 70);  // switch probability 0.5
  CHECK(cutmixes < 130);
}

TEST_CASE("random erasing: boxes inside the image within the area and aspect bounds", "[data][erasing]") {
  ErasingOptions o;
  o.p = 0.25;
  int erased = 0;
  const int h = 60, w = 80;
  for (uint64_t s = 0; s < 2000; ++s) {
    Rng rng(s);
    const EraseBox b = plan_erase(o, 3, h, w, rng);
    if (b.height == 0) continue;
    ++erased;
    REQUIRE(b.top >= 0);
    REQUIRE(b.left >= 0);
    REQUIRE(b.top + b.height <= h);
    REQUIRE(b.left + b.width <= w);
    const double share = static_cast<double>(b.height) * b.width / (h * w);
    CHECK(share >= 0.02 * (1 - 1.0 / b.height) * (1 - 1.0 / b.width) - 1e-9);
    CHECK(share <= (1.0 / 3.0) * (1 + 1.0 / b.height) * (1 + 1.0 / b.width));
    const double aspect = static_cast<double>(b.height) / b.width;
    CHECK(aspect >= 0.3 * (1 - 1.0 / b.height) / (1 + 1.0 / b.width));
    CHECK(aspect <= (1 / 0.3) * (1 + 1.0 / b.height) / (1 - 1.0 / b.width));
    CHECK(b.noise.sizes() == torch::IntArrayRef{3, b.height, b.width});
  }
  CHECK(erased > 420);  // p = 0.25 of 2000; a few draws fail all 10 attempts
  CHECK(erased < 580);

  Rng rng(1);
  o.p = 1.0;
  std::vector<EraseBox> boxes = {plan_erase(o, 1, 10, 10, rng), EraseBox()};
  REQUIRE(boxes[0].height > 0);
  auto images = torch::full({2, 1, 10, 10}, 7.0);
  apply_erase(images, boxes);
  const auto& b = boxes[0];
  CHECK(torch::equal(images[0][0].slice(0, b.top, b.top + b.height).slice(1, b.left, b.left + b.width),
                     b.noise[0]));
  CHECK(images[0].eq(7.0).sum().item<int64_t>() == 100 - b.height * b.width);
  CHECK(images[1].eq(7.0).all().item<bool>());
  // Per-pixel N(0, 1) fill: large boxes have a mean near 0 and a standard deviation near 1.
  const auto noise = torch::cat({b.noise.flatten(), plan_erase(o, 3, 200, 200, rng).noise.flatten()});
  CHECK(noise.mean().item<double>() == Approx(0.0).margin(0.05));
  CHECK(noise.std().item<double>() == Approx(1.0).margin(0.05));
}

TEST_CASE("random erasing: packed noise erases exactly as each box's own noise", "[data][erasing]") {
  // The CUDA path packs a batch's noise into one buffer (one host-to-device copy); the result must
  // be the per-box fill, box for box, including boxes of other shapes and samples without a box.
  ErasingOptions o;
  o.p = 1.0;
  Rng rng(11);
  std::vector<EraseBox> boxes = {plan_erase(o, 3, 24, 32, rng), EraseBox(), plan_erase(o, 3, 24, 32, rng),
                                 plan_erase(o, 3, 24, 32, rng)};
  int64_t want = 0;
  for (const auto& b : boxes) want += b.height > 0 ? b.noise.numel() : 0;
  const auto packed = pack_erase_noise(boxes, /*pinned=*/false);
  CHECK(packed.numel() == want);

  auto direct = torch::arange(4 * 3 * 24 * 32, torch::kFloat32).view({4, 3, 24, 32});
  auto from_packed = direct.clone();
  apply_erase(direct, boxes);
  std::vector<EraseBox> places = boxes;
  for (auto& b : places) b.noise = torch::Tensor();  // the packed path reads only the boxes' places
  apply_erase(from_packed, places, packed);
  CHECK(torch::equal(direct, from_packed));
  CHECK(!torch::equal(direct, torch::arange(4 * 3 * 24 * 32, torch::kFloat32).view({4, 3, 24, 32})));

  CHECK_THROWS_WITH(apply_erase(from_packed, places, packed.slice(0, 0, want - 1)),
                    Catch::Contains("packed noise is shorter"));
  CHECK(pack_erase_noise({EraseBox(), EraseBox()}, false).numel() == 0);
}
