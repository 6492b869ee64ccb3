// The training step object (train/train_step.h, train/graphed_step.h) against the step written out
// with plain LibTorch calls, and the graphed step's fallbacks (CPU-only; see test_graphed_step_cuda).
#include "catch.h"
#include "core/config/optim_section.h"
#include "model_test_util.h"
#include "models/registry.h"
#include "models/single_thread.h"
#include "train/graphed_step.h"
#include "train/optimizer.h"
#include "train/train_step.h"

using namespace softvit;

namespace {

ModelPtr small_vit() { return testing::mini_vit(2, 32, 5); }

void copy_weights(torch::nn::Module& to, const torch::nn::Module& from) {
  torch::NoGradGuard no_grad;
  auto t = to.parameters();
  auto f = from.parameters();
  for (size_t i = 0; i < t.size(); ++i) t[i].copy_(f[i]);
}

// A model and an identical copy, each with its own optimizer: the step under test drives the
// first, a reference step the copy.
struct Twins {
  ModelPtr model = small_vit(), reference = small_vit();
  std::unique_ptr<torch::optim::Optimizer> optimizer, reference_optimizer;

  explicit Twins(const OptimSection& optim) {
    copy_weights(*reference, *model);
    optimizer = make_optimizer(optim, *model);
    reference_optimizer = make_optimizer(optim, *reference);
  }
  StepParts parts() const {
    StepParts p;
    p.model = model.get();
    p.optimizer = optimizer.get();
    return p;
  }
  // `p` with the copy and its optimizer in place of the model and its optimizer.
  StepParts on_reference(StepParts p) const {
    p.model = reference.get();
    p.optimizer = reference_optimizer.get();
    return p;
  }
};

std::vector<Batch> batches(int count, int64_t size) {
  std::vector<Batch> out;
  for (int i = 0; i < count; ++i)
    out.push_back({torch::randn({size, 1, 28, 28}), torch::randint(0, 5, {size}, torch::kInt64), {}, {}});
  return out;
}

// AdamW with softvit's two groups (decay, no decay), as plain torch::optim::AdamW.
std::unique_ptr<torch::optim::AdamW> plain_adamw(const torch::nn::Module& model, double weight_decay) {
  const auto groups = split_parameter_groups(model);
  auto decay = std::make_unique<torch::optim::AdamWOptions>(1.0);
  decay->weight_decay(weight_decay);
  auto no_decay = std::make_unique<torch::optim::AdamWOptions>(1.0);
  no_decay->weight_decay(0.0);
  std::vector<torch::optim::OptimizerParamGroup> param_groups;
  param_groups.emplace_back(groups.decay, std::move(decay));
  param_groups.emplace_back(groups.no_decay, std::move(no_decay));
  return std::make_unique<torch::optim::AdamW>(param_groups, torch::optim::AdamWOptions(1.0));
}

void check_close(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    INFO("tensor " << i << " " << a[i].sizes() << " max difference "
                   << (a[i] - b[i]).abs().max().item<double>());
    CHECK(torch::allclose(a[i], b[i], 1e-4, 1e-6));
  }
}

}  // namespace

TEST_CASE("train step: the eager step equals the step written out with plain LibTorch", "[train][step]") {
  SingleThread one_thread;
  torch::manual_seed(11);
  auto model = small_vit(), reference = small_vit();
  copy_weights(*reference, *model);
  const double decay = 0.9, max_norm = 0.05, smoothing = 0.1;
  ModelEma ema(small_vit(), *model, decay);
  std::vector<torch::Tensor> reference_ema;
  for (const auto& p : reference->parameters()) reference_ema.push_back(p.detach().clone());

  OptimSection optim;  // fused AdamW, weight decay 0.05
  auto optimizer = make_optimizer(optim, *model);
  auto reference_optimizer = plain_adamw(*reference, optim.weight_decay);

  StepParts parts;
  parts.model = model.get();
  parts.optimizer = optimizer.get();
  parts.ema = &ema;
  parts.loss.label_smoothing = smoothing;
  parts.clip_grad = max_norm;
  EagerTrainStep step(parts);

  const std::vector<double> lrs = {1e-2, 5e-3, 2e-3};
  const auto data = batches(3, 8);
  bool clipped = false;
  for (size_t i = 0; i < data.size(); ++i) {
    const auto loss = step.run(data[i], lrs[i]);
    CHECK_FALSE(loss.requires_grad());

    // The step by hand: zero, forward, loss, backward, clip, AdamW, EMA.
    for (auto& group : reference_optimizer->param_groups()) group.options().set_lr(lrs[i]);
    reference_optimizer->zero_grad();
    auto expected = torch::nn::functional::cross_entropy(
        reference->forward(data[i].images), data[i].labels,
        torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(smoothing));
    expected.backward();
    clipped |= torch::nn::utils::clip_grad_norm_(reference->parameters(), max_norm) > max_norm;
    reference_optimizer->step();
    {
      torch::NoGradGuard no_grad;
      auto p = reference->parameters();
      for (size_t k = 0; k < p.size(); ++k) reference_ema[k].mul_(decay).add_(p[k], 1.0 - decay);
    }
    CHECK(loss.item<double>() == Approx(expected.item<double>()).epsilon(1e-5));
  }
  CHECK(clipped);  // the clipping was exercised, not only passed through
  check_close(model->parameters(), reference->parameters());
  check_close(ema.model().parameters(), reference_ema);
}

TEST_CASE("train step: two accumulated micro-batches equal one step on both", "[train][step]") {
  SingleThread one_thread;
  torch::manual_seed(12);
  OptimSection optim;
  optim.name = "sgd";  // linear in the gradient: AdamW would magnify rounding noise in zero gradients
  const Twins twins(optim);
  const auto& model = twins.model;
  StepParts parts = twins.parts();
  parts.accum_steps = 2;
  EagerTrainStep step(parts);
  StepParts whole = twins.on_reference(parts);
  whole.accum_steps = 1;
  EagerTrainStep reference_step(whole);

  const auto data = batches(4, 4);
  for (int s = 0; s < 2; ++s) {
    const auto& a = data[2 * s];
    const auto& b = data[2 * s + 1];
    const auto before = model->parameters()[0].detach().clone();
    const auto la = step.run(a, 1e-2);
    CHECK(torch::equal(model->parameters()[0], before));  // no update after the first micro-batch
    const auto lb = step.run(b, 1e-2);
    const auto lab = reference_step.run(
        {torch::cat({a.images, b.images}), torch::cat({a.labels, b.labels}), {}, {}}, 1e-2);
    CHECK(((la + lb) / 2).item<double>() == Approx(lab.item<double>()).epsilon(1e-5));
  }
  check_close(model->parameters(), twins.reference->parameters());
}

TEST_CASE("losses: label smoothing with class weights equals PyTorch's cross_entropy", "[train][loss]") {
  SingleThread one_thread;
  torch::manual_seed(13);
  auto logits = torch::randn({6, 4});
  auto labels = torch::tensor({0, 3, 1, 1, 2, 3}, torch::kInt64);
  LossOptions o;
  o.label_smoothing = 0.2;
  o.class_weights = torch::tensor({1.0, 2.0, 0.5, 3.0});
  const auto options =
      torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(0.2).weight(o.class_weights);
  const auto expected = torch::nn::functional::cross_entropy(logits, labels, options);
  CHECK(classification_loss(logits, labels, {}, o).item<double>() ==
        Approx(expected.item<double>()).epsilon(1e-6));
  // Gradients too: the gather form differentiates like PyTorch's masked_select form.
  auto x = logits.clone().requires_grad_(true), y = logits.clone().requires_grad_(true);
  classification_loss(x, labels, {}, o).backward();
  torch::nn::functional::cross_entropy(y, labels, options).backward();
  CHECK(torch::allclose(x.grad(), y.grad(), 1e-5, 1e-7));
}

TEST_CASE("graphed step: on the CPU and with accumulation it falls back to the eager step",
          "[train][step][graph]") {
  SingleThread one_thread;
  torch::manual_seed(14);
  OptimSection optim;
  const Twins twins(optim);
  const auto& model = twins.model;
  StepParts parts = twins.parts();
  parts.clip_grad = 0.1;

  GraphedTrainStep graphed(parts);
  CHECK(graphed.kind() == "eager");
  CHECK(graphed.fallback_reason().find("CUDA device") != std::string::npos);
  EagerTrainStep eager(twins.on_reference(parts));
  for (const auto& batch : batches(2, 4))
    CHECK(graphed.run(batch, 1e-2).item<double>() ==
          Approx(eager.run(batch, 1e-2).item<double>()).epsilon(1e-6));
  CHECK(graphed.eager_steps() == 2);
  CHECK(graphed.replays() == 0);
  check_close(model->parameters(), twins.reference->parameters());

  parts.accum_steps = 2;
  CHECK(GraphedTrainStep(parts).fallback_reason().find("train.accum_steps") != std::string::npos);
  parts.accum_steps = 1;
  optim.name = "sgd";
  auto sgd = make_optimizer(optim, *model);
  parts.optimizer = sgd.get();
  CHECK(GraphedTrainStep(parts).fallback_reason().find("fused AdamW") != std::string::npos);
  CHECK(make_train_step(parts, /*cuda_graph=*/false)->kind() == "eager");
  parts.optimizer = twins.optimizer.get();
  parts.after_backward = [] {};
  CHECK(GraphedTrainStep(parts).fallback_reason().find("distributed") != std::string::npos);
  parts.after_backward = nullptr;
  parts.backward = [](const torch::Tensor& loss, bool) { loss.backward(); };
  CHECK(GraphedTrainStep(parts).fallback_reason().find("distributed") != std::string::npos);
}

TEST_CASE("train step: the gradient hook runs once per optimizer step before clipping", "[train][step]") {
  SingleThread one_thread;
  torch::manual_seed(15);
  auto model = small_vit();
  torch::optim::SGD sgd(model->parameters(), torch::optim::SGDOptions(1.0));  // plain: w -= lr g
  StepParts parts;
  parts.model = model.get();
  parts.optimizer = &sgd;
  parts.accum_steps = 2;
  parts.clip_grad = 1.0;
  int calls = 0;
  parts.after_backward = [&] {
    ++calls;
    for (auto& p : model->parameters())  // huge gradients: only clipping after the hook bounds the update
      if (p.grad().defined()) p.mutable_grad().mul_(1e6);
  };
  EagerTrainStep step(parts);
  const auto data = batches(4, 4);
  for (int s = 0; s < 2; ++s) {
    std::vector<torch::Tensor> before;
    for (const auto& p : model->parameters()) before.push_back(p.detach().clone());
    step.run(data[2 * s], 0.1);
    step.run(data[2 * s + 1], 0.1);
    CHECK(calls == s + 1);
    double moved = 0;  // lr 0.1 times a gradient clipped to norm 1
    auto after = model->parameters();
    for (size_t i = 0; i < after.size(); ++i) moved += (after[i] - before[i]).pow(2).sum().item<double>();
    CHECK(std::sqrt(moved) == Approx(0.1).epsilon(1e-4));
  }
}

TEST_CASE("train step: distributed hooks run before each forward and replace backward", "[train][step]") {
  SingleThread one_thread;
  torch::manual_seed(16);
  auto model = small_vit();
  torch::optim::SGD sgd(model->parameters(), torch::optim::SGDOptions(0.1));
  StepParts parts;
  parts.model = model.get();
  parts.optimizer = &sgd;
  parts.accum_steps = 2;
  int forwards = 0;
  std::vector<bool> last_flags;
  parts.before_forward = [&] { ++forwards; };
  parts.backward = [&](const torch::Tensor& loss, bool last_micro) {
    last_flags.push_back(last_micro);
    loss.backward();
  };
  EagerTrainStep step(parts);
  const auto data = batches(4, 4);
  for (const auto& batch : data) step.run(batch, 0.1);
  CHECK(forwards == 4);
  CHECK(last_flags == std::vector<bool>{false, true, false, true});  // the all-reduce goes with the last
}
