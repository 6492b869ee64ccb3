// On a GPU: the CUDA-graph step replays the eager step. Skipped where no CUDA device is present
// (it says so through the skip message ctest recognises). Run with: softvit_tests "[cuda]".
#include "catch.h"
#include "core/config/model_section.h"
#include "core/config/optim_section.h"
#include "models/channels_last.h"
#include "models/registry.h"
#include "train/graphed_step.h"
#include "train/optimizer.h"

using namespace softvit;

namespace {

struct Case {
  std::string model;
  bool bf16;
  double drop_path;
  bool channels_last;
};

struct Trace {
  std::vector<double> losses;
  std::vector<torch::Tensor> weights, ema;
  int64_t replays = 0, eager_steps = 0, captures = 0;
  std::string kind;
};

// Seven steps from the same seed: five full batches, a short one (eager in the graphed run), a
// full one again after the gradients were released (the graphed run captures again); learning
// rate, clipping, smoothing, EMA and drop-path all on.
Trace train(const Case& c, bool graphed) {
  const torch::Device device(torch::kCUDA, 0);
  torch::manual_seed(41);
  ModelSection s;
  s.name = c.model;
  s.drop_path = c.drop_path;
  auto model = build_model(s, 10, 3);
  auto shadow = build_model(s, 10, 3);
  model->to(device);
  shadow->to(device);
  if (c.channels_last) {
    convert_to_channels_last(*model);
    convert_to_channels_last(*shadow);
  }
  ModelEma ema(shadow, *model, 0.99);
  OptimSection optim;
  auto optimizer = make_optimizer(optim, *model);
  StepParts parts;
  parts.model = model.get();
  parts.optimizer = optimizer.get();
  parts.ema = &ema;
  parts.loss.label_smoothing = 0.1;
  parts.clip_grad = 1.0;
  parts.device = device;
  parts.bf16 = c.bf16;
  parts.channels_last = c.channels_last;
  auto step = make_train_step(parts, graphed);
  model->train();

  torch::manual_seed(42);  // the same batches and the same dropout draws in both runs
  Trace t;
  for (int i = 0; i < 7; ++i) {
    const int64_t n = i == 5 ? 8 : 16;
    Batch batch{
        torch::randn({n, 3, 224, 224}).pin_memory(), torch::randint(0, 10, {n}, torch::kInt64), {}, {}};
    if (i == 6) optimizer->zero_grad();  // set to none: the graph's gradient addresses are gone
    t.losses.push_back(step->run(batch, 1e-3 * (1.0 + i)).item<double>());
  }
  for (const auto& p : model->parameters()) t.weights.push_back(p.detach().cpu());
  for (const auto& p : ema.model().parameters()) t.ema.push_back(p.detach().cpu());
  if (auto* g = dynamic_cast<GraphedTrainStep*>(step.get())) {
    t.replays = g->replays();
    t.eager_steps = g->eager_steps();
    t.captures = g->captures();
  }
  t.kind = step->kind();
  return t;
}

// ||a - b|| / ||b|| over all tensors together: a few parameters with no true gradient (the key
// bias of softmax attention) take AdamW steps of rounding noise, so per-tensor maxima would not do.
double relative_difference(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  double diff = 0, norm = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff += (a[i] - b[i]).to(torch::kFloat64).pow(2).sum().item<double>();
    norm += b[i].to(torch::kFloat64).pow(2).sum().item<double>();
  }
  return std::sqrt(diff / std::max(norm, 1e-30));
}

}  // namespace

TEST_CASE("graphed step: on a GPU the CUDA graph gives the eager step's losses and weights", "[cuda]") {
  if (!torch::cuda::is_available()) {
    WARN("softvit test skipped: no CUDA device");
    return;
  }
  const std::vector<Case> cases = {
      {"deit_tiny", false, 0.0, false}, {"deit_tiny", true, 0.1, false},  {"soft_tiny", true, 0.1, false},
      {"soft_tiny", true, 0.0, true},   {"sfvit_tiny", true, 0.0, false},
  };
  for (const auto& c : cases) {
    INFO(c.model << (c.bf16 ? " bf16" : " fp32") << " drop_path " << c.drop_path
                 << (c.channels_last ? " channels-last" : ""));
    const auto eager = train(c, false);
    const auto graphed = train(c, true);
    CHECK(graphed.kind == "cuda_graph");
    CHECK(graphed.replays == 6);
    CHECK(graphed.eager_steps == 1);  // the short batch
    CHECK(graphed.captures == 2);     // again after the gradients were released
    // Same kernels in the same order; only atomics in some backward kernels reorder sums.
    const double tolerance = c.bf16 ? 2e-2 : 1e-3;
    for (size_t i = 0; i < eager.losses.size(); ++i) {
      INFO("step " << i + 1 << ": eager " << eager.losses[i] << ", graphed " << graphed.losses[i]);
      CHECK(std::isfinite(graphed.losses[i]));
      CHECK(graphed.losses[i] == Approx(eager.losses[i]).epsilon(tolerance));
    }
    CHECK(relative_difference(graphed.weights, eager.weights) < (c.bf16 ? 1e-2 : 1e-3));
    CHECK(relative_difference(graphed.ema, eager.ema) < (c.bf16 ? 1e-2 : 1e-3));
  }
}
