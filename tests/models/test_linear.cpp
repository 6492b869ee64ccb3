#include "catch.h"
#include "models/linear.h"

using namespace softvit;

TEST_CASE("linear: equals x W^T + b in fp64 for 3-D strided inputs and their gradients", "[models][linear]") {
  torch::manual_seed(3);
  Linear layer(torch::nn::LinearOptions(6, 5));
  layer->to(torch::kFloat64);
  // A transposed (non-contiguous) 3-D input: the case LibTorch's own forward handled separately.
  auto x = torch::randn({4, 6, 3}, torch::kFloat64).transpose(1, 2).requires_grad_(true);
  const auto y = layer->forward(x);
  const auto expected = torch::matmul(x.detach(), layer->weight.detach().t()) + layer->bias.detach();
  CHECK(torch::allclose(y, expected, 0, 1e-12));

  const auto g = torch::randn_like(y);
  y.backward(g);
  const auto flat_x = x.detach().reshape({-1, 6}), flat_g = g.reshape({-1, 5});
  CHECK(torch::allclose(x.grad(), torch::matmul(g, layer->weight.detach()), 0, 1e-12));
  CHECK(torch::allclose(layer->weight.grad(), flat_g.t().matmul(flat_x), 0, 1e-12));
  CHECK(torch::allclose(layer->bias.grad(), flat_g.sum(0), 0, 1e-12));
  CHECK(layer->named_parameters().contains("weight"));
  CHECK(layer->named_parameters().contains("bias"));
}
