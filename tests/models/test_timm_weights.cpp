// softvit's DeiT against timm's, both ways: timm's deit_tiny_patch16_224 weights loaded here give
// timm's logits, and weights exported here, read in Python by safetensors.torch and timm's strict
// load_state_dict, give softvit's logits. timm runs through scripts/make_timm_reference.py in the
// python that scripts/setup.sh sets up; its outputs are cached under the build folder, keyed by
// the script and the files it reads, so timm starts once per change, not once per test run.
#include <sys/file.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "catch.h"
#include "core/atomic_file.h"
#include "core/config/model_section.h"
#include "models/registry.h"
#include "models/safetensors.h"
#include "models/weights.h"
#include "python_test_util.h"
#include "test_util.h"

using namespace softvit;
using testing::python;
using testing::quoted;
using testing::timm_available;
namespace fs = std::filesystem;

namespace {

const std::string kScript = std::string(SOFTVIT_SOURCE_DIR) + "/scripts/make_timm_reference.py";
const std::string kConvertScript = std::string(SOFTVIT_SOURCE_DIR) + "/scripts/torch_to_safetensors.py";

std::string fingerprint(const std::vector<std::string>& files) {
  uint64_t hash = 1469598103934665603ull;  // FNV-1a
  for (const auto& file : files)
    for (unsigned char byte : read_file(file)) hash = (hash ^ byte) * 1099511628211ull;
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash));
  return text;
}

// Removes the outputs of `kind` other than `keep` (earlier versions of the script or its input).
void prune(const fs::path& cache, const std::string& kind, const std::string& keep) {
  for (const auto& entry : fs::directory_iterator(cache)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(kind + "-", 0) == 0 && name.rfind(keep, 0) != 0) fs::remove_all(entry.path());
  }
}

// Runs python `script` `args` (where {out} stands for the output folder) unless the cached output
// for `kind`-`key` exists. Another test process doing the same waits on the lock instead of
// repeating it.
fs::path run_cached(const std::string& kind, const std::string& key, const std::string& script,
                    const std::string& args) {
  const fs::path cache = fs::path(SOFTVIT_BUILD_DIR) / "timm_reference";
  fs::create_directories(cache);
  const std::string name = kind + "-" + key;
  const fs::path folder = cache / name;
  const int lock = ::open((cache / (name + ".lock")).c_str(), O_CREAT | O_RDWR, 0644);
  REQUIRE(lock >= 0);
  ::flock(lock, LOCK_EX);
  if (!fs::exists(folder / "done")) {
    const fs::path work = cache / (name + ".tmp-" + std::to_string(::getpid()));
    fs::remove_all(work);
    fs::create_directories(work);
    std::string command_args = args;
    command_args.replace(command_args.find("{out}"), 5, quoted(work.string()));
    const std::string command = quoted(python()) + " " + quoted(script) + " " + command_args + " >" +
                                quoted((work / "log.txt").string()) + " 2>&1";
    const int status = std::system(command.c_str());
    if (status != 0) {
      const std::string log = read_file((work / "log.txt").string());
      ::close(lock);
      FAIL("python failed (" << command << "):\n" << log);
    }
    std::ofstream(work / "done") << "ok\n";
    fs::rename(work, folder);
    prune(cache, kind, name);
  }
  ::close(lock);
  return folder;
}

fs::path reference_folder() {
  return run_cached("reference", fingerprint({kScript}), kScript, "reference {out}");
}

ModelPtr deit_tiny() {
  ModelSection section;
  section.name = "deit_tiny";
  return build_model(section, 1000, 3);
}

// Largest absolute difference over the largest reference magnitude.
double relative_error(const torch::Tensor& actual, const torch::Tensor& expected) {
  const auto a = actual.to(torch::kFloat64), e = expected.to(torch::kFloat64);
  return (a - e).abs().max().item<double>() / e.abs().max().item<double>();
}

struct Logits {
  torch::Tensor f32, f64;
};

Logits eval_logits(Model& model, const torch::Tensor& images) {
  torch::NoGradGuard no_grad;
  model.eval();
  Logits out;
  out.f32 = model.forward(images.to(torch::kFloat32));
  model.to(torch::kFloat64);
  out.f64 = model.forward(images.to(torch::kFloat64));
  model.to(torch::kFloat32);
  return out;
}

}  // namespace

TEST_CASE("timm: deit_tiny with timm's weights gives timm's logits", "[models][timm]") {
  if (!timm_available()) return;
  const fs::path reference = reference_folder();
  const auto io = read_safetensors((reference / "io.safetensors").string()).tensors;
  REQUIRE(io.at("input").sizes() == torch::IntArrayRef{2, 3, 224, 224});
  auto model = deit_tiny();
  model->eval();
  const torch::Tensor untrained = model->forward(io.at("input")).detach();

  const StateDict weights = read_weights((reference / "weights.safetensors").string());
  const LoadReport report = load_state_dict(*model, weights, {}, "timm's deit_tiny weights");  // strict
  CHECK(report.loaded.size() == 152);  // timm's state_dict, one to one
  const Logits ours = eval_logits(*model, io.at("input"));
  CHECK(relative_error(ours.f64, io.at("logits_f64")) < 1e-10);
  CHECK(relative_error(ours.f32, io.at("logits_f32")) < 1e-4);
  // The comparison can fail: softvit's own init gives other logits.
  CHECK(relative_error(untrained, io.at("logits_f32")) > 0.1);
}

TEST_CASE("timm: a torch.save'd DataParallel checkpoint from Python loads", "[models][timm]") {
  if (!timm_available()) return;
  const fs::path reference = reference_folder();
  const StateDict nested = read_weights((reference / "nested.pt").string());  // {"model": {"module.x": ...}}
  const StateDict plain = read_weights((reference / "weights.safetensors").string());
  REQUIRE(nested.size() == plain.size());
  for (const auto& [name, tensor] : plain) {
    INFO(name);
    REQUIRE(nested.count(name));
    CHECK(torch::equal(nested.at(name), tensor));
  }
}

TEST_CASE("timm: a checkpoint that pickles Python objects converts with torch_to_safetensors.py",
          "[models][timm]") {
  if (!timm_available()) return;
  const fs::path reference = reference_folder();
  const std::string pickled = (reference / "pickled.pth").string();
  CHECK_THROWS_WITH(read_weights(pickled),
                    Catch::Contains("pickled.pth") && Catch::Contains("scripts/torch_to_safetensors.py"));
  const fs::path converted = run_cached("converted", fingerprint({kConvertScript, pickled}), kConvertScript,
                                        quoted(pickled) + " {out}/weights.safetensors");
  const StateDict weights = read_weights((converted / "weights.safetensors").string());  // "module." stripped
  const StateDict plain = read_weights((reference / "weights.safetensors").string());
  REQUIRE(weights.size() == plain.size());
  for (const auto& [name, tensor] : plain) CHECK(torch::equal(weights.at(name), tensor));
}

TEST_CASE("timm: weights exported here give the same logits in timm", "[models][timm]") {
  if (!timm_available()) return;
  TempDir dir;
  torch::manual_seed(11);
  auto model = deit_tiny();
  {
    torch::NoGradGuard no_grad;  // as if trained: no bias left at 0, no norm weight at 1
    for (auto& p : model->parameters()) p.add_(0.05 * torch::randn_like(p));
  }
  const auto images = torch::randn({2, 3, 224, 224});
  const std::string weights = dir.path("deit_tiny.safetensors"), input = dir.path("input.safetensors");
  save_weights(weights, *model);
  write_safetensors(input, {{"input", images}});
  const Logits ours = eval_logits(*model, images);

  const fs::path out =
      run_cached("logits", fingerprint({kScript, weights, input}), kScript,
                 "logits " + quoted(weights) + " " + quoted(input) + " {out}/logits.safetensors");
  const auto timm = read_safetensors((out / "logits.safetensors").string()).tensors;
  CHECK(relative_error(ours.f64, timm.at("logits_f64")) < 1e-10);
  CHECK(relative_error(ours.f32, timm.at("logits_f32")) < 1e-4);
}
