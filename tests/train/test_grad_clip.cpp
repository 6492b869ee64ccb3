// Clipping by global norm without a host sync (train/grad_clip.h) against LibTorch's clip_grad_norm_.
#include "catch.h"
#include "models/single_thread.h"
#include "train/grad_clip.h"

using namespace softvit;

namespace {

// Three parameters with gradients and one without, the same gradients in both copies.
std::pair<std::vector<torch::Tensor>, std::vector<torch::Tensor>> twin_parameters(double scale) {
  std::vector<torch::Tensor> a, b;
  for (auto shape : {std::vector<int64_t>{4, 3}, {7}, {2, 2, 3, 3}, {5}}) {
    auto p = torch::randn(shape).requires_grad_(true);
    auto q = p.detach().clone().requires_grad_(true);
    if (shape.size() != 1 || shape[0] != 5) {  // the last one has no gradient
      const auto g = torch::randn(shape) * scale;
      p.mutable_grad() = g.clone();
      q.mutable_grad() = g.clone();
    }
    a.push_back(p);
    b.push_back(q);
  }
  return {a, b};
}

}  // namespace

TEST_CASE("grad clip: equals clip_grad_norm_ when clipping and when not", "[train][clip]") {
  SingleThread one_thread;
  torch::manual_seed(21);
  for (double max_norm : {0.5, 1e3}) {  // well below and well above the gradients' norm (about 7)
    auto [mine, theirs] = twin_parameters(1.0);
    const auto norm = clip_grad_norm_async(mine, max_norm);
    const double expected_norm = torch::nn::utils::clip_grad_norm_(theirs, max_norm);
    REQUIRE(norm.defined());
    CHECK(norm.dim() == 0);
    CHECK(norm.item<double>() == Approx(expected_norm).epsilon(1e-6));
    for (size_t i = 0; i < mine.size(); ++i) {
      CHECK(mine[i].grad().defined() == theirs[i].grad().defined());
      if (mine[i].grad().defined()) CHECK(torch::allclose(mine[i].grad(), theirs[i].grad(), 1e-6, 1e-7));
    }
    // After clipping the global norm is max_norm (up to the 1e-6 guard), or unchanged.
    double after = 0;
    for (const auto& p : mine)
      if (p.grad().defined()) after += p.grad().pow(2).sum().item<double>();
    CHECK(std::sqrt(after) == Approx(std::min(max_norm, expected_norm)).epsilon(1e-5));
  }
}

TEST_CASE("grad clip: no gradients gives an undefined norm and touches nothing", "[train][clip]") {
  SingleThread one_thread;
  std::vector<torch::Tensor> params = {torch::randn({3}).requires_grad_(true)};
  CHECK_FALSE(clip_grad_norm_async(params, 1.0).defined());
  CHECK_FALSE(params[0].grad().defined());
}
