// The depthwise convolution's reference path (what runs on the CPU and what the fused CUDA kernel
// is checked against) against explicit float64 loops: the forward, both gradients against the
// loop adjoints (themselves checked by central differences), and the flipped-filter identity the
// CUDA input gradient relies on.
#include <cmath>
#include <tuple>
#include <vector>

#include "catch.h"
#include "models/attention/depthwise_conv.h"

using namespace softvit;

namespace {

const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);

struct Shape {
  int64_t b, c, h, w, k;
};

// Calls f(b, c, oh, ow, ih, iw, i, j) for every output pixel and every tap whose input pixel
// (ih, iw) = (oh + i - k/2, ow + j - k/2) lies inside the image (zero padding contributes nothing).
template <typename F>
void for_each_tap(const Shape& s, F&& f) {
  const int64_t pad = s.k / 2;
  for (int64_t b = 0; b < s.b; ++b)
    for (int64_t c = 0; c < s.c; ++c)
      for (int64_t oh = 0; oh < s.h; ++oh)
        for (int64_t ow = 0; ow < s.w; ++ow)
          for (int64_t i = 0; i < s.k; ++i)
            for (int64_t j = 0; j < s.k; ++j) {
              const int64_t ih = oh + i - pad, iw = ow + j - pad;
              if (ih >= 0 && ih < s.h && iw >= 0 && iw < s.w) f(b, c, oh, ow, ih, iw, i, j);
            }
}

torch::Tensor naive_forward(const Shape& s, const torch::Tensor& x_in, const torch::Tensor& w_in) {
  const auto x = x_in.to(torch::kFloat64).contiguous(), w = w_in.to(torch::kFloat64).contiguous();
  auto out = torch::zeros({s.b, s.c, s.h, s.w}, f64);
  auto xa = x.accessor<double, 4>(), wa = w.accessor<double, 4>(), oa = out.accessor<double, 4>();
  for_each_tap(s, [&](int64_t b, int64_t c, int64_t oh, int64_t ow, int64_t ih, int64_t iw, int64_t i,
                      int64_t j) { oa[b][c][oh][ow] += xa[b][c][ih][iw] * wa[c][0][i][j]; });
  return out;
}

// The adjoints of naive_forward for the upstream gradient g: (d<g, out>/dx, d<g, out>/dw).
std::pair<torch::Tensor, torch::Tensor> naive_backward(const Shape& s, const torch::Tensor& g_in,
                                                       const torch::Tensor& x_in, const torch::Tensor& w_in) {
  const auto g = g_in.to(torch::kFloat64).contiguous(), x = x_in.to(torch::kFloat64).contiguous();
  const auto w = w_in.to(torch::kFloat64).contiguous();
  auto dx = torch::zeros({s.b, s.c, s.h, s.w}, f64), dw = torch::zeros({s.c, 1, s.k, s.k}, f64);
  auto ga = g.accessor<double, 4>(), xa = x.accessor<double, 4>(), wa = w.accessor<double, 4>();
  auto dxa = dx.accessor<double, 4>(), dwa = dw.accessor<double, 4>();
  for_each_tap(
      s, [&](int64_t b, int64_t c, int64_t oh, int64_t ow, int64_t ih, int64_t iw, int64_t i, int64_t j) {
        dxa[b][c][ih][iw] += ga[b][c][oh][ow] * wa[c][0][i][j];
        dwa[c][0][i][j] += ga[b][c][oh][ow] * xa[b][c][ih][iw];
      });
  return {dx, dw};
}

double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

// Awkward sizes: a 1 x 1 image (every tap but the centre in the padding), a filter wider than the
// image, k = 1, odd channel counts, a non-square image.
const std::vector<Shape> kShapes = {{2, 3, 5, 7, 3}, {1, 5, 1, 1, 3},  {2, 4, 9, 13, 9},
                                    {1, 2, 4, 3, 1}, {1, 3, 6, 5, 11}, {3, 7, 9, 13, 5}};

}  // namespace

TEST_CASE("depthwise conv: the reference path equals float64 loops forward and backward",
          "[kernels][depthwise]") {
  torch::manual_seed(40);
  for (const auto& s : kShapes) {
    INFO("b " << s.b << " c " << s.c << " h " << s.h << " w " << s.w << " k " << s.k);
    const auto x0 = torch::randn({s.b, s.c, s.h, s.w}, f64).contiguous(torch::MemoryFormat::ChannelsLast);
    const auto w0 = torch::randn({s.c, 1, s.k, s.k}, f64);
    const auto g = torch::randn({s.b, s.c, s.h, s.w}, f64);
    auto x = x0.clone().requires_grad_(true), w = w0.clone().requires_grad_(true);
    const auto out = depthwise_conv2d(x, w);
    out.backward(g);
    CHECK(max_abs_diff(out, naive_forward(s, x0, w0)) < 1e-12);
    const auto [dx, dw] = naive_backward(s, g, x0, w0);
    CHECK(max_abs_diff(x.grad(), dx) < 1e-12);
    CHECK(max_abs_diff(w.grad(), dw) < 1e-12);
    // What the CUDA input gradient computes: the forward of g with the filter flipped in h and w.
    CHECK(max_abs_diff(naive_forward(s, g, w0.flip({2, 3})), dx) < 1e-12);
    // fp32 and bf16 inputs keep their dtype through the reference path.
    CHECK(depthwise_conv2d(x0.to(torch::kFloat32), w0.to(torch::kFloat32)).scalar_type() == torch::kFloat32);
  }
}

TEST_CASE("depthwise conv: the loop adjoints match central differences", "[kernels][depthwise]") {
  torch::manual_seed(41);
  for (const auto& s : {Shape{1, 2, 3, 4, 3}, Shape{2, 1, 2, 2, 5}}) {
    INFO("b " << s.b << " c " << s.c << " h " << s.h << " w " << s.w << " k " << s.k);
    const auto x = torch::randn({s.b, s.c, s.h, s.w}, f64), w = torch::randn({s.c, 1, s.k, s.k}, f64);
    const auto g = torch::randn({s.b, s.c, s.h, s.w}, f64);
    const auto [dx, dw] = naive_backward(s, g, x, w);
    auto loss = [&](const torch::Tensor& xv, const torch::Tensor& wv) {
      return (naive_forward(s, xv, wv) * g).sum().item<double>();
    };
    const double eps = 1e-6;
    for (auto [t, grad, is_x] : {std::tuple{x, dx, true}, std::tuple{w, dw, false}}) {
      const auto flat = grad.reshape({-1});
      for (int64_t e = 0; e < t.numel(); ++e) {
        auto plus = t.clone(), minus = t.clone();
        plus.view({-1})[e] += eps;
        minus.view({-1})[e] -= eps;
        const double numeric = is_x ? (loss(plus, w) - loss(minus, w)) / (2 * eps)
                                    : (loss(x, plus) - loss(x, minus)) / (2 * eps);
        CHECK(std::abs(numeric - flat[e].item<double>()) < 1e-6);
      }
    }
  }
}
