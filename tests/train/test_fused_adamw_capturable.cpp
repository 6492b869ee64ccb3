// The parts of FusedAdamW a CUDA graph uses (learning rate from tensors, host step bookkeeping,
// counters rewritten in place), checked on the CPU against its ordinary step().
#include "catch.h"
#include "core/config/optim_section.h"
#include "model_test_util.h"
#include "models/channels_last.h"
#include "models/registry.h"
#include "models/single_thread.h"
#include "train/fused_adamw.h"
#include "train/optimizer.h"

using namespace softvit;

namespace {

// 3 channels: a 1-channel conv weight is channels-last already.
ModelPtr tiny() { return testing::mini_vit(1, 16, 3, 3); }

struct Twin {
  ModelPtr model;
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  FusedAdamW& fused() { return dynamic_cast<FusedAdamW&>(*optimizer); }
};

std::pair<Twin, Twin> twins() {
  torch::manual_seed(51);
  Twin a{tiny(), nullptr}, b{tiny(), nullptr};
  {
    torch::NoGradGuard no_grad;
    auto pa = a.model->parameters(), pb = b.model->parameters();
    for (size_t i = 0; i < pa.size(); ++i) pb[i].copy_(pa[i]);
  }
  OptimSection o;
  o.weight_decay = 0.1;
  a.optimizer = make_optimizer(o, *a.model);
  b.optimizer = make_optimizer(o, *b.model);
  return {std::move(a), std::move(b)};
}

void same_gradients(Twin& a, Twin& b, int seed) {
  torch::manual_seed(seed);
  auto pa = a.model->parameters(), pb = b.model->parameters();
  for (size_t i = 0; i < pa.size(); ++i) {
    auto g = torch::randn_like(pa[i]);
    pa[i].mutable_grad() = g.clone();
    pb[i].mutable_grad() = g.clone();
  }
}

void check_same_weights(Twin& a, Twin& b) {
  auto pa = a.model->parameters(), pb = b.model->parameters();
  for (size_t i = 0; i < pa.size(); ++i) CHECK(torch::allclose(pa[i], pb[i], 1e-5, 1e-7));
}

int64_t host_step(Twin& t) {
  const auto p = t.model->parameters()[0];
  return static_cast<torch::optim::AdamWParamState&>(*t.optimizer->state().at(p.unsafeGetTensorImpl()))
      .step();
}

}  // namespace

TEST_CASE("fused AdamW: learning rates from tensors and replayed steps equal ordinary steps",
          "[train][optim][graph]") {
  SingleThread one_thread;
  auto [a, b] = twins();
  const std::vector<double> lrs = {1e-2, 3e-3, 1e-3};
  for (int s = 0; s < 3; ++s) {
    same_gradients(a, b, 60 + s);
    set_learning_rate(*a.optimizer, lrs[s]);
    a.optimizer->step();
    std::vector<torch::Tensor> lr(b.optimizer->param_groups().size(), torch::full({}, lrs[s], torch::kFloat));
    if (s == 1) {  // as a graph replay: the device counters advance, the host count afterwards
      b.fused().step_with_lr_tensors(lr, /*count_on_host=*/false);
      CHECK(host_step(b) == 1);
      b.fused().count_replayed_step();
    } else {
      b.fused().step_with_lr_tensors(lr, /*count_on_host=*/true);
    }
    CHECK(host_step(b) == s + 1);
  }
  check_same_weights(a, b);
  // An ordinary step after the replay: the host and device counts still agree (bias correction 4).
  same_gradients(a, b, 70);
  a.optimizer->step();
  b.optimizer->step();
  check_same_weights(a, b);
}

TEST_CASE("fused AdamW: state put back in place and counters rewritten restart the steps",
          "[train][optim][graph]") {
  SingleThread one_thread;
  auto [a, b] = twins();
  // b takes two steps, then its state goes back to step 0 in place, as the graph's warm-up undo does.
  const auto before = b.model->parameters();
  std::vector<torch::Tensor> saved;
  for (const auto& p : before) saved.push_back(p.detach().clone());
  for (int s = 0; s < 2; ++s) {
    same_gradients(a, b, 80 + s);
    b.optimizer->step();
  }
  {
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < before.size(); ++i) before[i].copy_(saved[i]);
    for (auto& [key, state] : b.optimizer->state()) {
      auto& adamw = static_cast<torch::optim::AdamWParamState&>(*state);
      adamw.exp_avg().zero_();
      adamw.exp_avg_sq().zero_();
      adamw.step(0);
    }
  }
  b.fused().reset_step_counters();
  for (int s = 0; s < 2; ++s) {
    same_gradients(a, b, 90 + s);
    a.optimizer->step();
    b.optimizer->step();
  }
  check_same_weights(a, b);
}

TEST_CASE("fused AdamW: moments follow a parameter converted to channels-last after the first step",
          "[train][optim][channels_last]") {
  SingleThread one_thread;
  auto [a, b] = twins();
  same_gradients(a, b, 100);
  a.optimizer->step();
  b.optimizer->step();
  REQUIRE(convert_to_channels_last(*b.model) == 1);  // the patch embedding
  same_gradients(a, b, 101);
  for (auto& p : b.model->parameters())
    if (p.dim() == 4) p.mutable_grad() = p.grad().contiguous(torch::MemoryFormat::ChannelsLast);
  a.optimizer->step();
  b.optimizer->step();
  check_same_weights(a, b);
  const auto conv = b.model->named_parameters()["patch_embed.proj.weight"];
  const auto& state =
      static_cast<torch::optim::AdamWParamState&>(*b.optimizer->state().at(conv.unsafeGetTensorImpl()));
  CHECK(state.exp_avg().is_contiguous(torch::MemoryFormat::ChannelsLast));
}
