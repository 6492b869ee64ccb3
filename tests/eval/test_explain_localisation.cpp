// Do the heat maps point at the evidence? A softmax ViT and a SOFT ViT are trained on CPU on
// images whose class is decided only by a small bright square at a random place: class 1 has one,
// class 0 is the noise alone (square_data.h). Each model is trained from 3 fixed seeds (20, 21,
// 22) by one recipe (12 epochs, lr 2e-3 with a one-epoch warm-up), and every seed's model must be
// more than 95% accurate on held-out images. On the held-out images with a square, class 1's map
// must peak in the square or within one patch (4 px) of it in at least 90% of them, for every
// seed's model of both kinds; and class 0's map must differ from class 1's. The method required is
// the default, integrated gradients (64 steps); the other methods offered, except SmoothGrad, are
// printed beside it. The recipe was chosen on development seeds 10-15 (the earlier one, 6 epochs
// at lr 1e-3, left half of the SOFT ViTs there below 95% accuracy) and then run once on these
// seeds, on 2026-12-08 (2 CPU cores): 100% at every seed for both models; 73 s for both on idle
// cores. docs/explain.md, "Localisation", has every method's figures, the development seeds
// (test_explain_localisation_dev.cpp) and the times.
#include <chrono>
#include <ctime>
#include <iostream>
#include <map>
#include <vector>

#include "catch.h"
#include "core/config.h"
#include "eval/explain/heat_map.h"
#include "eval/explain/integrated_gradients.h"
#include "explain_models.h"
#include "models/registry.h"
#include "square_data.h"

using namespace softvit;
using namespace softvit::testing;

namespace {

constexpr int64_t kPatch = 4;
// Seeds that neither the development runs (10-15) nor an earlier version of this test (0-2) used.
const std::vector<uint64_t> kTrainingSeeds = {20, 21, 22};
// Chosen on the development seeds (docs/explain.md): the earlier recipe (6 epochs, lr 1e-3) left
// half of the SOFT ViTs there below the 95% precondition.
const TrainRecipe kRecipe{12, 2e-3, 1};  // epochs, peak lr, warm-up epochs

// How many maps peak at their image's square (within one patch).
int64_t localised(const torch::Tensor& maps, const std::vector<Square>& squares) {
  int64_t hits = 0;
  for (int64_t i = 0; i < maps.size(0); ++i)
    hits += peak_near(maps[i], squares[static_cast<size_t>(i)], kPatch);
  return hits;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Trains a model of `attention` from each training seed, prints where each method offered for it
// peaks, and checks what the issue asks of `required`'s maps for every seed's model on its own.
void check_localisation(const std::string& attention, ExplainMethod required) {
  const SquareData train = square_data(1500, 11), held_out = square_data(300, 12);
  const auto [images, squares] = with_squares(held_out);  // where class 1's evidence is
  const int64_t n = images.size(0);
  const auto class_1 = torch::ones({n}, torch::kLong), class_0 = torch::zeros({n}, torch::kLong);

  // SmoothGrad integrated gradients are left out to save time (64 passes per image; the figures of
  // 2026-12-07 are in docs/explain.md).
  std::vector<ExplainMethod> methods = {ExplainMethod::integrated_gradients, ExplainMethod::gradient_rollout,
                                        ExplainMethod::grad_cam};
  if (attention == "softmax") methods.push_back(ExplainMethod::rollout);
  std::map<ExplainMethod, int64_t> hits;
  int64_t scored = 0;
  for (const uint64_t seed : kTrainingSeeds) {
    torch::manual_seed(seed);
    auto model = square_model(attention);
    const std::clock_t cpu_start = std::clock();  // CPU time too: the machine may be shared
    const double seconds = train_on(*model, train, kRecipe);
    const double cpu = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
    const double acc = accuracy(*model, held_out);
    std::cout << attention << " ViT, seed " << seed << ": trained in " << seconds << " s (" << cpu
              << " s of CPU), held-out accuracy " << acc << "\n";
    REQUIRE(acc > 0.95);
    scored += n;
    for (const ExplainMethod method : methods) {
      const auto start = std::chrono::steady_clock::now();
      const auto maps = explain_images(*model, images, class_1, method).maps;
      const int64_t hit = localised(maps, squares);
      hits[method] += hit;
      std::cout << attention << " ViT, seed " << seed << ": " << explain_method_name(method)
                << " peak at the square in " << hit << " of " << n << " ("
                << static_cast<double>(hit) / static_cast<double>(n) << ", " << seconds_since(start)
                << " s)\n";
      CHECK(maps.min().item<float>() >= 0.0f);
      CHECK(maps.max().item<float>() <= 1.0f);
      if (method != required) continue;
      CHECK(static_cast<double>(hit) >= 0.90 * static_cast<double>(n));
      // The map is that of the class asked for: class 0's evidence is another map.
      const auto other = explain_images(*model, images, class_0, method).maps;
      const auto difference = (maps - other).abs().flatten(1).amax(1);
      CHECK(difference.gt(0.5).to(torch::kDouble).mean().item<double>() >= 0.9);
    }
  }
  for (const ExplainMethod method : methods)
    std::cout << attention << " ViT, seeds 20-22 pooled: " << explain_method_name(method) << " "
              << hits[method] << " of " << scored << " ("
              << static_cast<double>(hits[method]) / static_cast<double>(scored) << ")\n";
}

}  // namespace

TEST_CASE("Integrated gradients of a trained softmax ViT point at the square", "[explain][train]") {
  check_localisation("softmax", ExplainMethod::integrated_gradients);
}

TEST_CASE("Integrated gradients of a trained SOFT ViT point at the square", "[explain][train]") {
  check_localisation("soft", ExplainMethod::integrated_gradients);
}
