#include <cmath>
#include <vector>

#include "catch.h"
#include "core/config.h"
#include "core/error.h"
#include "eval/evaluate.h"
#include "eval/test_time_augmentation.h"
#include "eval_fixtures.h"

using namespace softvit;
using softvit::testing::PositionalModel;
using softvit::testing::TensorBatches;

namespace {

// The mirror image built pixel by pixel, independent of the code under test.
torch::Tensor mirrored(const torch::Tensor& images) {
  auto out = images.clone();
  const int64_t w = images.size(3);
  for (int64_t x = 0; x < w; ++x) out.select(3, x).copy_(images.select(3, w - 1 - x));
  return out;
}

}  // namespace

TEST_CASE("tta: mean_of_views gives logits whose softmax is the mean softmax, even for extreme logits",
          "[eval][tta]") {
  const auto a = torch::tensor({{2.0, -1.0, 0.5}, {300.0, 0.0, -300.0}, {-80.0, 80.0, 0.0}});
  const auto b = torch::tensor({{0.0, 1.0, -0.5}, {-300.0, 300.0, 0.0}, {-80.0, 79.0, 0.0}});
  const auto combined = mean_of_views({a, b}, /*multi_label=*/false);
  REQUIRE(combined.dtype() == torch::kFloat32);
  CHECK(torch::isfinite(combined).all().item<bool>());
  const auto got = torch::softmax(combined.to(torch::kFloat64), 1);
  const auto want =
      0.5 * (torch::softmax(a.to(torch::kFloat64), 1) + torch::softmax(b.to(torch::kFloat64), 1));
  CHECK(torch::allclose(got, want, 1e-6, 1e-6));
  // One view is that view's prediction.
  CHECK(torch::allclose(torch::softmax(mean_of_views({a}, false), 1), torch::softmax(a, 1), 1e-6, 1e-6));
  CHECK_THROWS_AS(mean_of_views({}, false), Error);
}

TEST_CASE("tta: for multi-label, each label's sigmoid is the mean of the views' sigmoids", "[eval][tta]") {
  const auto a = torch::tensor({{2.0, -1.0}, {60.0, -60.0}, {0.0, 40.0}});
  const auto b = torch::tensor({{-1.0, 3.0}, {60.0, 60.0}, {0.0, -40.0}});
  const auto c = torch::tensor({{0.5, 0.5}, {59.0, 0.0}, {1.0, 0.0}});
  const auto combined = mean_of_views({a, b, c}, /*multi_label=*/true);
  CHECK(torch::isfinite(combined).all().item<bool>());  // 1 - p underflows in float; log space does not
  const auto s = [](const torch::Tensor& t) { return torch::sigmoid(t.to(torch::kFloat64)); };
  const auto want = (s(a) + s(b) + s(c)) / 3;
  CHECK(torch::allclose(s(combined), want, 1e-6, 1e-6));
  CHECK(combined[1][0].item<double>() > 30);  // all three views sure: the average stays sure
}

TEST_CASE("tta: evaluate with hflip averages each image's prediction with its mirror image's",
          "[eval][tta]") {
  torch::manual_seed(0);
  PositionalModel model(/*pixels=*/1 * 4 * 5, /*classes=*/3);
  TensorBatches loader;
  for (int i = 0; i < 2; ++i)
    loader.batches.push_back({torch::randn({3, 1, 4, 5}), torch::tensor({0, 1, 2}, torch::kInt64), {}, {}});

  EvalOptions plain, flipped;
  flipped.tta = TestTimeAugmentation::hflip;
  const EvalResult none = evaluate(model, loader, torch::kCPU, plain);
  const EvalResult hflip = evaluate(model, loader, torch::kCPU, flipped);
  REQUIRE(hflip.n == 6);

  torch::NoGradGuard no_grad;
  float max_gap_to_plain = 0;
  for (int b = 0; b < 2; ++b) {
    const auto& images = loader.batches[static_cast<size_t>(b)].images;
    const auto want =
        0.5 * (torch::softmax(model.forward(images), 1) + torch::softmax(model.forward(mirrored(images)), 1));
    for (int64_t i = 0; i < 3; ++i)
      for (int64_t k = 0; k < 3; ++k) {
        const int64_t row = 3 * b + i;
        CHECK(hflip.probabilities(row, k) == Approx(want[i][k].item<double>()).margin(1e-6));
        max_gap_to_plain =
            std::max(max_gap_to_plain, std::abs(hflip.probabilities(row, k) - none.probabilities(row, k)));
      }
  }
  CHECK(max_gap_to_plain > 0.01f);  // this model is not mirror-symmetric: the views differ
  // The loss is the cross-entropy of the averaged probabilities.
  double loss = 0;
  for (int64_t row = 0; row < 6; ++row) loss -= std::log(hflip.probabilities(row, row % 3));
  CHECK(hflip.loss == Approx(loss / 6).epsilon(1e-5));
}

TEST_CASE("tta: eval.tta is declared, defaults to none and rejects an unknown mode", "[eval][tta][config]") {
  CHECK(parse_config("", "inline").eval.tta == "none");
  CHECK(parse_config("eval: {tta: hflip}", "inline").eval.tta == "hflip");
  try {
    parse_config("eval: {tta: vflip}", "inline");
    FAIL("no error for an unknown test-time augmentation");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()).find("eval.tta") != std::string::npos);
  }
  CHECK(parse_test_time_augmentation("hflip") == TestTimeAugmentation::hflip);
  CHECK_THROWS_AS(parse_test_time_augmentation("rot90"), Error);
}
