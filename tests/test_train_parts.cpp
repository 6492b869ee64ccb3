// Parts of the training recipe, each against its definition.
#include "catch.h"
#include "core/config/optim_section.h"
#include "model_test_util.h"
#include "models/registry.h"
#include "train/ema.h"
#include "train/losses.h"
#include "train/optimizer.h"

using namespace softvit;

namespace {

ModelPtr mini() { return testing::mini_vit(1, 16, 3); }

}  // namespace

TEST_CASE("optimizer: no weight decay on 1-D parameters and biases and tokens", "[train][optim]") {
  auto model = mini();
  const auto groups = split_parameter_groups(*model);
  auto has = [](const std::vector<std::string>& names, const std::string& n) {
    return std::find(names.begin(), names.end(), n) != names.end();
  };
  for (const char* n : {"cls_token", "pos_embed", "patch_embed.proj.bias", "blocks.0.norm1.weight",
                        "blocks.0.attn.qkv.bias", "norm.bias", "head.bias"})
    CHECK(has(groups.no_decay_names, n));
  for (const char* n :
       {"patch_embed.proj.weight", "blocks.0.attn.qkv.weight", "blocks.0.mlp.fc1.weight", "head.weight"})
    CHECK(has(groups.decay_names, n));
  CHECK(groups.decay.size() + groups.no_decay.size() == model->parameters().size());
  CHECK(has(split_parameter_groups(*model, /*decay_pos_embed=*/true).decay_names, "pos_embed"));
}

TEST_CASE("optimizer: decay shrinks only the decayed group", "[train][optim]") {
  auto model = mini();
  OptimSection o;
  o.name = "sgd";
  o.lr = 0.1;
  o.betas = {0.0, 0.0};
  o.weight_decay = 0.5;
  auto optimizer = make_optimizer(o, *model);
  auto params = model->named_parameters();
  const auto w = params["head.weight"].detach().clone();
  const auto b = params["norm.weight"].detach().clone();
  for (auto& p : model->parameters()) p.mutable_grad() = torch::zeros_like(p);  // zero gradient: decay only
  optimizer->step();
  CHECK(torch::allclose(params["head.weight"], w * (1 - 0.1 * 0.5)));
  CHECK(torch::equal(params["norm.weight"], b));
}

TEST_CASE("losses: soft targets equal hard labels with smoothing when built the same way", "[train][loss]") {
  torch::manual_seed(0);
  auto logits = torch::randn({5, 4}, torch::kFloat64);
  auto labels = torch::tensor({0, 3, 1, 1, 2}, torch::kInt64);
  const double eps = 0.1;
  auto soft = torch::one_hot(labels, 4).to(torch::kFloat64) * (1 - eps) + eps / 4;
  LossOptions hard;
  hard.label_smoothing = eps;
  const auto a = classification_loss(logits, labels, torch::Tensor(), hard);
  const auto b = classification_loss(logits, labels, soft, LossOptions{});
  // By definition: mean over samples of -sum_c t_c log softmax(z)_c.
  const auto manual = (-(soft * torch::log_softmax(logits, 1)).sum(1)).mean();
  CHECK(a.item<double>() == Approx(manual.item<double>()).epsilon(1e-6));
  CHECK(b.item<double>() == Approx(manual.item<double>()).epsilon(1e-6));
}

TEST_CASE("losses: class weights and inverse frequency", "[train][loss]") {
  auto labels = torch::tensor({0, 0, 0, 1}, torch::kInt64);
  const auto w = inverse_frequency_weights(labels, 2);
  CHECK(w[0].item<double>() == Approx(4.0 / (2 * 3)));
  CHECK(w[1].item<double>() == Approx(4.0 / (2 * 1)));
  auto logits = torch::tensor({{2.0, 0.0}, {0.0, 1.0}, {1.0, 1.0}, {0.5, 0.0}});
  LossOptions o;
  o.class_weights = torch::tensor({1.0, 3.0});
  // PyTorch's weighted mean: sum_i w_{y_i} l_i / sum_i w_{y_i}.
  auto per = -torch::log_softmax(logits, 1).gather(1, labels.unsqueeze(1)).squeeze(1);
  auto wi = o.class_weights.index_select(0, labels);
  CHECK(classification_loss(logits, labels, {}, o).item<double>() ==
        Approx(((per * wi).sum() / wi.sum()).item<double>()));
  CHECK_THROWS(inverse_frequency_weights(torch::tensor({0, 0}, torch::kInt64), 2));
}

TEST_CASE("losses: binary cross-entropy for multi-label targets", "[train][loss]") {
  auto logits = torch::tensor({{0.0, 2.0, -1.0}});
  auto labels = torch::tensor({{1.0, 0.0, 1.0}});
  LossOptions o;
  o.kind = "bce";
  auto sig = torch::sigmoid(logits);
  auto manual = -(labels * sig.log() + (1 - labels) * (1 - sig).log()).mean();
  CHECK(classification_loss(logits, labels, {}, o).item<double>() == Approx(manual.item<double>()));
}

TEST_CASE("ema: starts as a copy and follows ema = d ema + (1 - d) w", "[train][ema]") {
  auto model = mini();
  ModelEma ema(mini(), *model, 0.9);
  auto p = model->parameters();
  auto e = ema.model().parameters();
  for (size_t i = 0; i < p.size(); ++i) CHECK(torch::equal(p[i], e[i]));
  std::vector<torch::Tensor> before;
  for (auto& t : e) before.push_back(t.detach().clone());
  {
    torch::NoGradGuard no_grad;
    for (auto& t : p) t.add_(1.0);
  }
  ema.update(*model);
  for (size_t i = 0; i < p.size(); ++i)
    CHECK(torch::allclose(e[i], 0.9 * before[i] + 0.1 * p[i], 1e-6, 1e-6));
  CHECK_FALSE(e[0].requires_grad());
}

TEST_CASE("optimizer: fused AdamW equals torch::optim::AdamW step for step", "[train][optim]") {
  torch::manual_seed(3);
  auto a = mini(), b = mini();
  {
    torch::NoGradGuard no_grad;
    auto pa = a->parameters(), pb = b->parameters();
    for (size_t i = 0; i < pa.size(); ++i) pb[i].copy_(pa[i]);
  }
  OptimSection o;
  o.lr = 1e-2;
  o.weight_decay = 0.1;
  o.fused = true;
  auto fused = make_optimizer(o, *a);
  o.fused = false;
  auto plain = make_optimizer(o, *b);
  for (int step = 0; step < 5; ++step) {
    auto pa = a->parameters(), pb = b->parameters();
    for (size_t i = 0; i < pa.size(); ++i) {
      auto g = torch::randn_like(pa[i]);
      pa[i].mutable_grad() = g;
      pb[i].mutable_grad() = g.clone();
    }
    fused->step();
    plain->step();
  }
  auto pa = a->parameters(), pb = b->parameters();
  for (size_t i = 0; i < pa.size(); ++i) CHECK(torch::allclose(pa[i], pb[i], 1e-5, 1e-6));
}
