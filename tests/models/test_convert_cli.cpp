// softvit convert and softvit train --init-from, end to end through the binary.
#include "catch.h"
#include "core/atomic_file.h"
#include "core/config.h"
#include "models/registry.h"
#include "models/safetensors.h"
#include "models/weights.h"
#include "test_data.h"
#include "test_util.h"
#include "train/checkpoint.h"

using namespace softvit;

namespace {

ModelSection small_section() {
  ModelSection s;
  s.name = "vit_mini_patch4_28";
  s.depth = 1;
  s.embed_dim = 16;
  s.num_heads = 2;
  return s;
}

bool same_weights(const torch::nn::Module& model, const StateDict& weights) {
  const StateDict state = model_state_dict(model);
  if (state.size() != weights.size()) return false;
  for (const auto& [name, tensor] : state)
    if (!weights.count(name) || !torch::equal(tensor, weights.at(name))) return false;
  return true;
}

}  // namespace

TEST_CASE("convert: a checkpoint exports to safetensors and imports back", "[cli][convert]") {
  TempDir dir;
  torch::manual_seed(4);
  RunConfig config;
  config.model = small_section();
  config.model.init_skip = {"head"};  // the run's own fine-tuning options must not apply on import
  config.model.init_strict = false;
  auto model = build_model(config.model, 3, 1);
  const std::vector<std::string> classes = {"cat", "dog", "eel"};
  CheckpointInfo saved;
  saved.model_name = "vit_mini_patch4_28";
  saved.config_yaml = to_yaml(config);
  saved.classes = classes;
  saved.epoch = 2;
  saved.step = 20;
  saved.best_metric = 0.5;
  save_checkpoint(dir.path("run/last.pt"), *model, nullptr, saved);

  const auto exported = run_softvit("convert --checkpoint " + dir.path("run/last.pt") + " --output " +
                                    dir.path("w.safetensors"));
  INFO(exported.text);
  REQUIRE(exported.status == 0);
  const auto file = read_safetensors(dir.path("w.safetensors"));
  CHECK(same_weights(*model, file.tensors));
  CHECK(file.metadata.at("model") == "vit_mini_patch4_28");
  CHECK(file.metadata.at("classes") == R"(["cat","dog","eel"])");
  CHECK(file.metadata.at("format") == "pt");

  // The saved config rebuilds the same model (depth 1, width 16, 3 classes) without --model.
  const auto imported =
      run_softvit("convert --weights " + dir.path("w.safetensors") + " --output " + dir.path("back.pt"));
  INFO(imported.text);
  REQUIRE(imported.status == 0);
  const CheckpointInfo info = read_checkpoint_info(dir.path("back.pt"));
  CHECK(info.classes == classes);
  auto back = build_model(parse_config(info.config_yaml, "back.pt").model, 0, 1);
  load_checkpoint(dir.path("back.pt"), *back);
  CHECK(same_weights(*back, file.tensors));

  // Weights that do not fit the named model: one line naming the tensor and both shapes.
  const auto misfit = run_softvit("convert --weights " + dir.path("w.safetensors") +
                                  " --set model.embed_dim=32 --output " + dir.path("bad.pt"));
  CHECK(misfit.status == 1);
  CHECK(
      misfit.text.find("tensor 'blocks.0.attn.proj.weight' has shape [16, 16], the model expects [32, 32]") !=
      std::string::npos);
  const auto neither = run_softvit("convert --output " + dir.path("x.pt"));
  CHECK(neither.status != 0);
  CHECK(neither.text.find("--checkpoint") != std::string::npos);
}

TEST_CASE("convert: train --init-from starts from the given weights", "[cli][convert]") {
  if (!testing::fashion_mnist_available()) return;
  TempDir dir;
  torch::manual_seed(5);
  ModelSection section = small_section();
  section.num_classes = 1000;  // "pretrained" with another head
  auto pretrained = build_model(section, 0, 1);
  save_weights(dir.path("pre.safetensors"), *pretrained);
  const std::string config =
      dir.write("tiny.yaml",
                "model: {name: vit_mini_patch4_28, depth: 1, embed_dim: 16, num_heads: 2}\n"
                "data: {limit_train: 64, limit_eval: 32, val_split: test}\n"
                "train: {epochs: 1, batch_size: 32}\n"
                "optim: {lr: 1.0e-9}\n"
                "schedule: {name: constant, warmup_epochs: 0, warmup_lr: 1.0e-9}\n"
                "run: {threads: 1}\n");
  const std::string base = "train --config " + config + " --init-from " + dir.path("pre.safetensors");

  const auto strict = run_softvit(base + " --output " + dir.path("strict"));
  CHECK(strict.status == 1);
  CHECK(strict.text.find("tensor 'head.weight' has shape [1000, 16], the model expects [10, 16]") !=
        std::string::npos);

  const auto tuned = run_softvit(base + " --set 'model.init_skip=[head]' --output " + dir.path("tuned"));
  INFO(tuned.text);
  REQUIRE(tuned.status == 0);
  CHECK(tuned.text.find("skipped head.bias, head.weight") != std::string::npos);
  // With a learning rate of 1e-9 the trained blocks still hold the pretrained values.
  section.num_classes = 10;
  auto trained = build_model(section, 0, 1);
  load_checkpoint(dir.path("tuned/checkpoints/last.pt"), *trained);
  const auto pre = model_state_dict(*pretrained);
  const auto after = model_state_dict(*trained);
  CHECK(torch::allclose(after.at("blocks.0.attn.qkv.weight"), pre.at("blocks.0.attn.qkv.weight"), 0, 1e-6));
  CHECK(torch::allclose(after.at("patch_embed.proj.weight"), pre.at("patch_embed.proj.weight"), 0, 1e-6));
  CHECK(read_file(dir.path("tuned/config.yaml")).find("init_from: " + dir.path("pre.safetensors")) !=
        std::string::npos);
}
