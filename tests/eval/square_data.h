// The explanation tests' data: 32 px grey images of noise (mean 0.5, sd 0.15); class 1 images
// have one bright (1.0) 6 x 6 square at a random place, class 0 images are the noise alone. The
// square alone decides the class, so class 1's heat map on an image with a square must point at
// it. Normalised by (x - 0.5) / 0.25 like a loader would.
#pragma once
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "models/model.h"

namespace softvit::testing {

struct Square {
  int64_t x = 0, y = 0, side = 0;
};

struct SquareData {
  torch::Tensor images;         // N x 1 x 32 x 32, normalised
  torch::Tensor labels;         // N, int64
  std::vector<Square> squares;  // where each class 1 image's square is; side 0 for class 0
};

constexpr int64_t kSquareImage = 32, kSquareSide = 6;

inline SquareData square_data(int64_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  torch::manual_seed(static_cast<uint64_t>(seed));
  SquareData d;
  auto images = (0.5 + 0.15 * torch::randn({n, 1, kSquareImage, kSquareImage}));
  d.labels = torch::empty({n}, torch::kLong);
  std::uniform_int_distribution<int64_t> place(0, kSquareImage - kSquareSide), label(0, 1);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t x = place(rng), y = place(rng), c = label(rng);
    const Square s{x, y, c == 1 ? kSquareSide : 0};
    if (c == 1) images[i].narrow(1, s.y, s.side).narrow(2, s.x, s.side).fill_(1.0);
    d.labels[i] = c;
    d.squares.push_back(s);
  }
  d.images = (images - 0.5) / 0.25;
  return d;
}

// How the localisation tests train: AdamW (weight decay 0.05), batch 64, the lr rising linearly
// over the first `warmup_epochs` (none by default) and then falling to 0 on a cosine.
struct TrainRecipe {
  int64_t epochs = 6;
  double lr = 1e-3;
  int64_t warmup_epochs = 0;
  int64_t batch = 64;
};

// The lr of `step` out of `steps`, `warmup` of them warm-up.
inline double recipe_lr(double peak, int64_t step, int64_t steps, int64_t warmup) {
  if (step < warmup) return peak * static_cast<double>(step + 1) / static_cast<double>(warmup);
  return peak * 0.5 *
         (1 + std::cos(std::acos(-1.0) * static_cast<double>(step - warmup) /
                       static_cast<double>(steps - warmup)));
}

// Trains `model` on `data` by `recipe`; returns the seconds it took.
inline double train_on(Model& model, const SquareData& data, const TrainRecipe& recipe) {
  const auto start = std::chrono::steady_clock::now();
  torch::optim::AdamW optimiser(model.parameters(), torch::optim::AdamWOptions(recipe.lr).weight_decay(0.05));
  model.train();
  const int64_t n = data.images.size(0), batch = recipe.batch, per_epoch = (n + batch - 1) / batch;
  const int64_t steps = recipe.epochs * per_epoch, warmup = recipe.warmup_epochs * per_epoch;
  int64_t step = 0;
  for (int64_t e = 0; e < recipe.epochs; ++e) {
    const auto order = torch::randperm(n, torch::kLong);
    for (int64_t i = 0; i < n; i += batch, ++step) {
      const auto index = order.narrow(0, i, std::min(batch, n - i));
      for (auto& group : optimiser.param_groups())
        group.options().set_lr(recipe_lr(recipe.lr, step, steps, warmup));
      optimiser.zero_grad();
      const auto loss = torch::nn::functional::cross_entropy(
          model.forward(data.images.index_select(0, index)), data.labels.index_select(0, index));
      loss.backward();
      optimiser.step();
    }
  }
  model.eval();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

inline double accuracy(Model& model, const SquareData& data) {
  torch::NoGradGuard no_grad;
  model.eval();
  return model.forward(data.images).argmax(1).eq(data.labels).to(torch::kDouble).mean().item<double>();
}

// Whether the map's maximum lies inside the square or within `margin` pixels of it.
inline bool peak_near(const torch::Tensor& map, const Square& s, int64_t margin) {
  const int64_t at = map.flatten().argmax().item<int64_t>(), y = at / map.size(1), x = at % map.size(1);
  return x >= s.x - margin && x < s.x + s.side + margin && y >= s.y - margin && y < s.y + s.side + margin;
}

// The images of `d` that have a square (class 1, where its evidence is), and their squares.
struct WithSquares {
  torch::Tensor images;
  std::vector<Square> squares;
};

inline WithSquares with_squares(const SquareData& d) {
  const auto index = d.labels.eq(1).nonzero().flatten();
  WithSquares w;
  w.images = d.images.index_select(0, index);
  for (int64_t i = 0; i < index.size(0); ++i)
    w.squares.push_back(d.squares[static_cast<size_t>(index[i].item<int64_t>())]);
  return w;
}

}  // namespace softvit::testing
