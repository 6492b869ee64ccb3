// softvit's checkpoints in Python: last.pt and best.pt load with a plain torch.load (PyTorch's
// default weights_only=True) and hold the tensors softvit saved, and a DeiT's weights load into
// timm strictly and give softvit's logits (scripts/softvit_to_timm.py, the README's example).
// Checkpoints of the earlier format still load here.
#include <ATen/CPUGeneratorImpl.h>
#include <torch/csrc/jit/serialization/pickle.h>

#include <filesystem>
#include <sstream>

#include "catch.h"
#include "core/error.h"
#include "model_test_util.h"
#include "models/registry.h"
#include "models/safetensors.h"
#include "python_test_util.h"
#include "test_util.h"
#include "train/checkpoint.h"
#include "train/optimizer.h"

using namespace softvit;
using testing::quoted;

namespace {

// The value Python prints for `key`'s named tensor's first element, from lines "KEY VALUE".
double printed(const std::string& text, const std::string& key) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(key + " ", 0) == 0) return std::stod(line.substr(key.size() + 1));
  FAIL("python printed no '" << key << "' line:\n" << text);
  return 0;
}

}  // namespace

TEST_CASE("checkpoint: last.pt and best.pt load in Python with a plain torch.load, and into timm",
          "[train][checkpoint][timm]") {
  if (!testing::timm_available()) return;
  TempDir dir;
  torch::manual_seed(3);
  ModelSection section;
  section.name = "deit_tiny";
  auto model = build_model(section, 3, 3), ema = build_model(section, 3, 3);
  {
    torch::NoGradGuard no_grad;  // as if trained: no bias left at 0, no norm weight at 1
    for (auto& p : model->parameters()) p.add_(0.05 * torch::randn_like(p));
  }
  OptimSection o;
  auto optimizer = make_optimizer(o, *model);
  model->forward(torch::randn({1, 3, 224, 224})).sum().backward();
  optimizer->step();  // optimizer state to save
  CheckpointInfo info;
  info.model_name = "deit_tiny";
  info.classes = {"benign", "malignant", "normal"};
  info.epoch = 4;
  const std::string last = dir.path("checkpoints/last.pt"), best = dir.path("checkpoints/best.pt");
  save_checkpoint(last, *model, optimizer.get(), info, ema.get());
  save_checkpoint(best, *model, nullptr, info);

  const std::string script =
      "import sys, torch\n"
      "for name in ('last', 'best'):\n"
      "    c = torch.load(sys.argv[1] if name == 'last' else sys.argv[2])\n"
      "    print(name, repr(float(c['model']['cls_token'].flatten()[0])))\n"
      "    print(name + '_epoch', c['epoch'])\n"
      "    print(name + '_optimizer_bytes', c['optimizer'].numel() if 'optimizer' in c else 0)\n"
      "print('ema', repr(float(torch.load(sys.argv[1])['ema']['head.weight'].flatten()[1])))\n";
  const auto loaded =
      run_shell(quoted(testing::python()) + " " + dir.write("load.py", script) + " " + last + " " + best);
  INFO(loaded.text);
  REQUIRE(loaded.status == 0);  // "UnicodeDecodeError" / "Weights only load failed" before
  const double cls = model->named_parameters()["cls_token"].flatten()[0].item<float>();
  CHECK(printed(loaded.text, "last") == cls);
  CHECK(printed(loaded.text, "best") == cls);
  CHECK(printed(loaded.text, "last_epoch") == 4);
  CHECK(printed(loaded.text, "last_optimizer_bytes") > 1000);
  CHECK(printed(loaded.text, "best_optimizer_bytes") == 0);
  CHECK(printed(loaded.text, "ema") == ema->named_parameters()["head.weight"].flatten()[1].item<float>());

  // The README's example: softvit's DeiT weights in timm's deit_tiny_patch16_224.
  const auto images = torch::randn({2, 3, 224, 224});
  write_safetensors(dir.path("input.safetensors"), {{"input", images}});
  const auto timm = run_shell(quoted(testing::python()) + " " + std::string(SOFTVIT_SOURCE_DIR) +
                              "/scripts/softvit_to_timm.py " + best + " deit_tiny_patch16_224 --input " +
                              dir.path("input.safetensors") + " --output " + dir.path("logits.safetensors"));
  INFO(timm.text);
  REQUIRE(timm.status == 0);
  CHECK(timm.text.find("benign") != std::string::npos);
  const auto logits = read_safetensors(dir.path("logits.safetensors")).tensors.at("logits");
  model->eval();
  torch::NoGradGuard no_grad;
  const auto ours = model->forward(images);
  REQUIRE(logits.sizes() == ours.sizes());
  CHECK((logits - ours).abs().max().item<double>() / ours.abs().max().item<double>() < 1e-4);
}

TEST_CASE("checkpoint: the earlier format (TorchScript-tagged, optimizer as text) still loads",
          "[train][checkpoint]") {
  TempDir dir;
  torch::manual_seed(0);
  auto model = testing::mini_vit(1, 16, 4);
  OptimSection o;
  auto optimizer = make_optimizer(o, *model);
  const auto x = torch::randn({2, 1, 28, 28});
  model->forward(x).sum().backward();
  optimizer->step();

  // Written as softvit-checkpoint/1 was: torch::pickle_save of typed containers.
  c10::impl::GenericDict d(c10::StringType::get(), c10::AnyType::get());
  d.insert("format", std::string("softvit-checkpoint/1"));
  d.insert("model_name", std::string("vit_mini_patch4_28"));
  d.insert("config", std::string("train:\n  epochs: 2\n"));
  d.insert("classes", c10::List<std::string>({"a", "b", "c", "d"}));
  for (const char* key : {"epoch", "step", "batch_in_epoch", "best_epoch", "epochs_without_improvement"})
    d.insert(key, int64_t{1});
  d.insert("best_metric", 0.5);
  d.insert("top_k", c10::List<std::tuple<double, int64_t>>());
  c10::Dict<std::string, torch::Tensor> tensors;
  for (const auto& p : model->named_parameters()) tensors.insert(p.key(), p.value().detach().clone());
  for (const auto& b : model->named_buffers()) tensors.insert(b.key(), b.value().detach().clone());
  d.insert("model", tensors);
  d.insert("rng", c10::List<torch::Tensor>({at::detail::getDefaultCPUGenerator().get_state()}));
  std::ostringstream archive_bytes;
  torch::serialize::OutputArchive archive;
  optimizer->save(archive);
  archive.save_to(archive_bytes);
  d.insert("optimizer", archive_bytes.str());
  const std::vector<char> bytes = torch::pickle_save(d);
  const std::string path = dir.write("old.pt", std::string(bytes.begin(), bytes.end()));

  torch::manual_seed(9);
  auto other = testing::mini_vit(1, 16, 4);
  auto other_optimizer = make_optimizer(o, *other);
  const CheckpointInfo info =
      load_checkpoint(path, *other, other_optimizer.get(), nullptr, /*restore_rng=*/true);
  CHECK(info.classes == std::vector<std::string>{"a", "b", "c", "d"});
  for (const auto& p : model->named_parameters())
    CHECK(torch::equal(p.value(), other->named_parameters()[p.key()]));
  // The same optimizer state: one more identical step keeps the two models identical.
  optimizer->zero_grad();
  for (auto* m : {&model, &other}) (*m)->forward(x).sum().backward();
  optimizer->step();
  other_optimizer->step();
  for (const auto& p : model->named_parameters())
    CHECK(torch::equal(p.value(), other->named_parameters()[p.key()]));
}
