#include <filesystem>

#include "catch.h"
#include "core/config/optim_section.h"
#include "core/error.h"
#include "model_test_util.h"
#include "models/registry.h"
#include "test_util.h"
#include "train/checkpoint.h"
#include "train/optimizer.h"

using namespace softvit;

namespace {

CheckpointInfo info_of(const std::string& name, int64_t epoch) {
  CheckpointInfo info;
  info.model_name = name;
  info.epoch = epoch;
  return info;
}

ModelPtr mini(int64_t depth, int64_t classes = 10) { return testing::mini_vit(depth, 32, classes); }

}  // namespace

TEST_CASE("checkpoint: weights and optimizer state and info round-trip exactly", "[train][checkpoint]") {
  TempDir dir;
  torch::manual_seed(0);
  auto model = mini(2);
  OptimSection o;
  auto optimizer = make_optimizer(o, *model);
  auto x = torch::randn({4, 1, 28, 28});
  model->forward(x).sum().backward();
  optimizer->step();

  CheckpointInfo info = info_of("vit_mini_patch4_28", 2);
  info.config_yaml = "train:\n  epochs: 3\n";
  info.classes = {"a", "b"};
  info.step = 40;
  info.batch_in_epoch = 7;
  info.best_metric = 0.75;
  info.top_k = {{0.75, 2}, {0.5, 1}};
  const std::string path = dir.path("ck/last.pt");
  save_checkpoint(path, *model, optimizer.get(), info);

  torch::manual_seed(99);
  auto other = mini(2);
  auto other_optimizer = make_optimizer(o, *other);
  const auto back = load_checkpoint(path, *other, other_optimizer.get());
  CHECK(back.model_name == info.model_name);
  CHECK(back.config_yaml == info.config_yaml);
  CHECK(back.classes == info.classes);
  CHECK(back.epoch == 2);
  CHECK(back.step == 40);
  CHECK(back.best_metric == 0.75);
  CHECK(back.batch_in_epoch == 7);
  CHECK(back.top_k == info.top_k);
  model->eval();
  other->eval();
  CHECK(torch::equal(model->forward(x), other->forward(x)));

  // Same optimizer state: one more identical step keeps the two models identical.
  model->train();
  other->train();
  optimizer->zero_grad();
  torch::manual_seed(5);
  model->forward(x).sum().backward();
  optimizer->step();
  torch::manual_seed(5);
  other->forward(x).sum().backward();
  other_optimizer->step();
  for (const auto& p : model->named_parameters())
    CHECK(torch::equal(p.value(), other->named_parameters()[p.key()]));
  for (const auto& entry : std::filesystem::directory_iterator(dir.path("ck")))
    CHECK(entry.path().filename() == "last.pt");  // no temporary file left behind
}

TEST_CASE("checkpoint: another model's checkpoint is an error naming the tensor", "[train][checkpoint]") {
  TempDir dir;
  auto model = mini(2);
  save_checkpoint(dir.path("a.pt"), *model, nullptr, info_of("vit_mini_patch4_28", 1));
  auto deeper = mini(3);
  CHECK_THROWS_WITH(load_checkpoint(dir.path("a.pt"), *deeper), Catch::Contains("blocks.2"));
  auto shallower = mini(1);
  CHECK_THROWS_WITH(load_checkpoint(dir.path("a.pt"), *shallower), Catch::Contains("blocks.1"));
  auto other_head = mini(2, 5);
  CHECK_THROWS_WITH(load_checkpoint(dir.path("a.pt"), *other_head),
                    Catch::Contains("head.weight") && Catch::Contains("[10, 32]"));
}

TEST_CASE("checkpoint: a missing or damaged file is an error naming it", "[train][checkpoint]") {
  TempDir dir;
  auto model = mini(1);
  CHECK_THROWS_WITH(read_checkpoint_info(dir.path("nope.pt")), Catch::Contains("nope.pt"));
  save_checkpoint(dir.path("a.pt"), *model, nullptr, info_of("m", 1));
  std::ifstream in(dir.path("a.pt"), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  dir.write("cut.pt", bytes.substr(0, bytes.size() / 2));
  CHECK_THROWS_WITH(load_checkpoint(dir.path("cut.pt"), *model), Catch::Contains("cut.pt"));
  dir.write("text.pt", "not a checkpoint");
  CHECK_THROWS_AS(read_checkpoint_info(dir.path("text.pt")), CheckpointError);
}
