// Channels-last models (models/channels_last.h) compute what contiguous ones do.
#include "catch.h"
#include "core/config/model_section.h"
#include "models/channels_last.h"
#include "models/registry.h"
#include "models/single_thread.h"

using namespace softvit;

namespace {

void copy_weights(torch::nn::Module& to, const torch::nn::Module& from) {
  torch::NoGradGuard no_grad;
  auto t = to.parameters();
  auto f = from.parameters();
  for (size_t i = 0; i < t.size(); ++i) t[i].copy_(f[i]);
  auto tb = to.buffers();
  auto fb = from.buffers();
  for (size_t i = 0; i < tb.size(); ++i) tb[i].copy_(fb[i]);
}

// Builds two copies of a model, converts one, and compares outputs and gradients in train mode
// (batch-norm statistics of the batch) and eval mode.
void check_same_outputs(const ModelSection& s, int64_t in_chans, int64_t img) {
  torch::manual_seed(31);
  auto plain = build_model(s, 6, in_chans);
  auto converted = build_model(s, 6, in_chans);
  copy_weights(*converted, *plain);
  const int64_t count = convert_to_channels_last(*converted);
  CHECK(count > 0);
  for (const auto& p : converted->parameters())
    if (p.dim() == 4) CHECK(p.is_contiguous(torch::MemoryFormat::ChannelsLast));

  const auto images = torch::randn({3, in_chans, img, img});
  for (bool train : {true, false}) {
    plain->train(train);
    converted->train(train);
    plain->zero_grad();
    converted->zero_grad();
    const auto y = plain->forward(images);
    const auto y_cl = converted->forward(channels_last_input(images));
    CHECK(torch::allclose(y, y_cl, 1e-4, 1e-5));
    if (!train) continue;
    y.pow(2).sum().backward();
    y_cl.pow(2).sum().backward();
    auto g = plain->parameters();
    auto g_cl = converted->parameters();
    for (size_t i = 0; i < g.size(); ++i)
      if (g[i].grad().defined()) CHECK(torch::allclose(g[i].grad(), g_cl[i].grad(), 1e-3, 1e-5));
  }
}

}  // namespace

TEST_CASE("channels-last: a ViT's patch embedding gives the contiguous model's outputs",
          "[models][channels_last]") {
  SingleThread one_thread;
  ModelSection s;
  s.name = "vit_mini_patch4_28";
  s.depth = 1;
  s.embed_dim = 32;
  s.num_heads = 2;
  check_same_outputs(s, 3, 28);  // RGB: a 1-channel conv weight is channels-last already
}

TEST_CASE("channels-last: SOFT's conv stem and landmarks and local conv give the contiguous outputs",
          "[models][channels_last]") {
  SingleThread one_thread;
  ModelSection s;
  s.name = "soft_tiny_patch2_28";  // conv landmarks, depthwise local convs 5, 3, 3, batch-norm stem
  s.dims = {16, 32, 48, 64};
  s.heads = {1, 2, 3, 4};
  s.depths = {1, 1, 1, 1};
  check_same_outputs(s, 1, 28);
}

TEST_CASE("channels-last: only 4-D tensors change and a batch converts", "[models][channels_last]") {
  SingleThread one_thread;
  torch::nn::Sequential net(torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 4, 3)), torch::nn::Linear(4, 2));
  CHECK(convert_to_channels_last(*net) == 1);  // the conv weight; its bias and the linear stay
  const auto x = torch::randn({2, 3, 5, 5});
  const auto y = channels_last_input(x);
  CHECK(y.is_contiguous(torch::MemoryFormat::ChannelsLast));
  CHECK(torch::equal(x, y));
  CHECK(channels_last_input(torch::randn({2, 3})).is_contiguous());
}
