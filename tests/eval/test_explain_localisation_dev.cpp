// The development runs behind the localisation test's method and training recipe (docs/explain.md,
// "Localisation"), on the test's data and models but training seeds 10-15, which the test never
// uses. Round 1 (below): the candidate variants of integrated gradients, with the earlier recipe
// (6 epochs, lr 1e-3), compared before any of them was run on the test's seeds of then, 0-2. Hidden, and
// skipped unless SOFTVIT_EXPLAIN_DEV is set (CTest lists hidden tests too); 31.6 minutes on 2 shared cores
// (2026-12-07):
//   SOFTVIT_EXPLAIN_DEV=1 build/tests/softvit_tests "[.explain-dev]"
// It prints, per model, seed and candidate, how many of the 166 held-out maps of class 1 peak at
// the square, and each candidate's minimum and pooled share; it checks nothing.
#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "catch.h"
#include "eval/explain/heat_map.h"
#include "eval/explain/integrated_gradients.h"
#include "eval/explain/smoothgrad.h"
#include "explain_models.h"
#include "square_data.h"

using namespace softvit;
using namespace softvit::testing;

namespace {

struct Candidate {
  std::string name;
  int64_t samples = 0;  // 0: plain integrated gradients
  double noise_level = 0;
  int64_t steps = 16;
};

const std::vector<Candidate>& candidates() {
  static const std::vector<Candidate> all = {{"A IG 16 steps", 0, 0, 16},
                                             {"B IG 64 steps", 0, 0, 64},
                                             {"C SG-IG 8 x 8, level 0.15", 8, 0.15, 8},
                                             {"D SG-IG 8 x 8, level 0.10", 8, 0.10, 8},
                                             {"E SG-IG 8 x 8, level 0.20", 8, 0.20, 8},
                                             {"F SG-IG 16 x 4, level 0.15", 16, 0.15, 4},
                                             {"G SG-IG 4 x 16, level 0.15", 4, 0.15, 16}};
  return all;
}

torch::Tensor candidate_maps(Model& model, const torch::Tensor& images, const torch::Tensor& classes,
                             const Candidate& c) {
  model.eval();
  const auto attributions =
      c.samples == 0 ? integrated_gradients(model, images, classes, c.steps)
                     : smoothgrad_integrated_gradients(
                           model, images, classes, SmoothGradSettings{c.samples, c.noise_level, c.steps, 0});
  torch::NoGradGuard no_grad;
  return to_image_maps(patch_relevance(attributions, model.input_cell()), images.size(2), images.size(3));
}

}  // namespace

TEST_CASE("Localisation development run: candidate methods on training seeds 10-15", "[.explain-dev]") {
  if (std::getenv("SOFTVIT_EXPLAIN_DEV") == nullptr) {
    WARN("softvit test skipped: the localisation development run needs SOFTVIT_EXPLAIN_DEV=1");
    return;
  }
  const SquareData train = square_data(1500, 11), held_out = square_data(300, 12);
  const auto [images, squares] = with_squares(held_out);  // where class 1's evidence is
  const int64_t n = images.size(0);
  const auto class_1 = torch::ones({n}, torch::kLong);
  std::map<std::string, double> lowest;
  std::map<std::string, int64_t> pooled;
  int64_t scored = 0;
  for (const std::string attention : {"softmax", "soft"})
    for (uint64_t seed = 10; seed <= 15; ++seed) {
      torch::manual_seed(seed);
      auto model = square_model(attention);
      train_on(*model, train, TrainRecipe{});
      std::cout << attention << " ViT, seed " << seed << ": held-out accuracy " << accuracy(*model, held_out)
                << "\n";
      scored += n;
      for (const Candidate& c : candidates()) {
        const auto maps = candidate_maps(*model, images, class_1, c);
        int64_t hits = 0;
        for (int64_t i = 0; i < n; ++i) hits += peak_near(maps[i], squares[static_cast<size_t>(i)], 4);
        const double share = static_cast<double>(hits) / static_cast<double>(n);
        lowest[c.name] = lowest.count(c.name) ? std::min(lowest[c.name], share) : share;
        pooled[c.name] += hits;
        std::cout << "  " << c.name << ": " << hits << " of " << n << " (" << 100 * share << "%)\n";
      }
    }
  for (const Candidate& c : candidates())
    std::cout << c.name << ": lowest seed " << 100 * lowest[c.name] << "%, pooled " << pooled[c.name]
              << " of " << scored << " ("
              << 100.0 * static_cast<double>(pooled[c.name]) / static_cast<double>(scored) << "%)\n";
  SUCCEED();
}

// Round 2: the training recipe. The earlier recipe (R0: 6 epochs, lr 1e-3) left three of the six
// SOFT ViTs of seeds 10-15 below the test's 95% precondition. The candidates below were fixed
// before this was run; only the default method (integrated gradients, 64 steps) is scored; R2 was
// adopted. About 20 minutes on 2 shared cores (2026-12-08). Hidden like the case above:
//   SOFTVIT_EXPLAIN_DEV=1 build/tests/softvit_tests "[.explain-recipe-dev]"
// SOFTVIT_EXPLAIN_RECIPES=R3 runs only the recipes whose names contain it (to resume an interrupted run).
TEST_CASE("Localisation development run: training recipes on training seeds 10-15", "[.explain-recipe-dev]") {
  if (std::getenv("SOFTVIT_EXPLAIN_DEV") == nullptr) {
    WARN("softvit test skipped: the localisation development run needs SOFTVIT_EXPLAIN_DEV=1");
    return;
  }
  struct Recipe {
    std::string name;
    TrainRecipe recipe;
  };
  const std::vector<Recipe> recipes = {{"R1 12 epochs, lr 1e-3", TrainRecipe{12, 1e-3, 0}},
                                       {"R2 12 epochs, lr 2e-3, 1 epoch warm-up", TrainRecipe{12, 2e-3, 1}},
                                       {"R3 8 epochs, lr 2e-3, 1 epoch warm-up", TrainRecipe{8, 2e-3, 1}}};
  const Candidate ig64{"IG 64 steps", 0, 0, 64};
  const SquareData train = square_data(1500, 11), held_out = square_data(300, 12);
  const auto [images, squares] = with_squares(held_out);
  const int64_t n = images.size(0);
  const auto class_1 = torch::ones({n}, torch::kLong);
  const char* only = std::getenv("SOFTVIT_EXPLAIN_RECIPES");
  for (const Recipe& r : recipes) {
    if (only != nullptr && r.name.find(only) == std::string::npos) continue;
    double lowest_accuracy = 1, lowest_share = 1;
    int64_t pooled = 0, scored = 0;
    for (const std::string attention : {"softmax", "soft"})
      for (uint64_t seed = 10; seed <= 15; ++seed) {
        torch::manual_seed(seed);
        auto model = square_model(attention);
        const double seconds = train_on(*model, train, r.recipe);
        const double acc = accuracy(*model, held_out);
        const auto maps = candidate_maps(*model, images, class_1, ig64);
        int64_t hits = 0;
        for (int64_t i = 0; i < n; ++i) hits += peak_near(maps[i], squares[static_cast<size_t>(i)], 4);
        const double share = static_cast<double>(hits) / static_cast<double>(n);
        lowest_accuracy = std::min(lowest_accuracy, acc);
        lowest_share = std::min(lowest_share, share);
        pooled += hits;
        scored += n;
        std::cout << r.name << " | " << attention << " seed " << seed << " | accuracy " << 100 * acc
                  << "% | IG-64 " << hits << " of " << n << " (" << 100 * share << "%) | trained in "
                  << seconds << " s" << std::endl;
      }
    std::cout << r.name << ": lowest accuracy " << 100 * lowest_accuracy << "%, lowest share "
              << 100 * lowest_share << "%, pooled " << pooled << " of " << scored << " ("
              << 100.0 * static_cast<double>(pooled) / static_cast<double>(scored) << "%)" << std::endl;
  }
  SUCCEED();
}
