// Loading state dicts: strict by default with errors that name each tensor and both shapes,
// lenient on request, prefixes skipped, dtypes converted, wrappers and renames undone.
#include "catch.h"
#include "core/config/model_section.h"
#include "core/error.h"
#include "models/name_maps.h"
#include "models/registry.h"
#include "models/safetensors.h"
#include "models/weights.h"
#include "test_util.h"
#include "train/checkpoint.h"

using namespace softvit;

namespace {

ModelSection mini_section(int64_t depth = 2, int64_t classes = 10) {
  ModelSection s;
  s.name = "vit_mini_patch4_28";
  s.depth = static_cast<int>(depth);
  s.embed_dim = 32;
  s.num_heads = 2;
  s.num_classes = static_cast<int>(classes);
  s.in_chans = 1;
  return s;
}

ModelPtr mini(int64_t depth = 2, int64_t classes = 10, uint64_t seed = 0) {
  torch::manual_seed(seed);
  return build_model(mini_section(depth, classes), 0, 0);
}

// Deep copies, so that later loads cannot change them.
StateDict snapshot(const torch::nn::Module& model) {
  StateDict out;
  for (const auto& [name, tensor] : model_state_dict(model)) out[name] = tensor.detach().clone();
  return out;
}

bool same(const StateDict& a, const StateDict& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [name, tensor] : a)
    if (!b.count(name) || !torch::equal(tensor, b.at(name))) return false;
  return true;
}

}  // namespace

TEST_CASE("weights: a strict load copies every tensor", "[models][weights]") {
  const StateDict source = snapshot(*mini(2, 10, 0));
  auto model = mini(2, 10, 1);
  REQUIRE_FALSE(same(snapshot(*model), source));
  const LoadReport report = load_state_dict(*model, source, {}, "test weights");
  CHECK(same(snapshot(*model), source));
  CHECK(report.loaded.size() == source.size());
  CHECK(report.missing.empty());
  CHECK(report.skipped.empty());
}

TEST_CASE("weights: tensors are converted to the parameter's dtype", "[models][weights]") {
  auto model = mini(1, 10, 0);
  StateDict doubles, halves;
  for (const auto& [name, tensor] : snapshot(*mini(1, 10, 1))) {
    doubles[name] = tensor.to(torch::kFloat64) + 1e-9;  // not representable in float32: must round
    halves[name] = tensor.to(torch::kFloat16);
  }
  load_state_dict(*model, doubles, {}, "doubles");
  for (const auto& [name, tensor] : model_state_dict(*model)) {
    INFO(name);
    CHECK(tensor.scalar_type() == torch::kFloat32);
    CHECK(torch::equal(tensor, doubles.at(name).to(torch::kFloat32)));
  }
  load_state_dict(*model, halves, {}, "halves");
  for (const auto& [name, tensor] : model_state_dict(*model))
    CHECK(torch::equal(tensor, halves.at(name).to(torch::kFloat32)));
}

TEST_CASE("weights: strict errors name every tensor and both shapes and change nothing",
          "[models][weights]") {
  StateDict source = snapshot(*mini(2, 5, 0));
  source.erase("blocks.1.norm1.bias");
  source["extra.weight"] = torch::zeros({3});
  auto model = mini(2, 10, 1);
  const StateDict before = snapshot(*model);
  try {
    load_state_dict(*model, source, {}, "weights 'w.safetensors'");
    FAIL("a strict load of mismatched weights must throw");
  } catch (const CheckpointError& e) {
    const std::string message = e.what();
    INFO(message);
    CHECK(message.find("weights 'w.safetensors'") != std::string::npos);
    CHECK(message.find("tensor 'head.weight' has shape [5, 32], the model expects [10, 32]") !=
          std::string::npos);
    CHECK(message.find("tensor 'head.bias' has shape [5], the model expects [10]") != std::string::npos);
    CHECK(message.find("lacks tensor 'blocks.1.norm1.bias' [32]") != std::string::npos);
    CHECK(message.find("has tensor 'extra.weight' [3] that the model does not") != std::string::npos);
  }
  CHECK(same(snapshot(*model), before));
}

TEST_CASE("weights: init_skip leaves a classifier of another size out", "[models][weights]") {
  const StateDict source = snapshot(*mini(2, 1000, 0));  // "pretrained" on 1000 classes
  auto model = mini(2, 10, 1);
  const StateDict before = snapshot(*model);
  LoadOptions options;
  options.skip = {"head"};
  const LoadReport report = load_state_dict(*model, source, options, "pretrained");
  const StateDict after = snapshot(*model);
  CHECK(torch::equal(after.at("head.weight"), before.at("head.weight")));
  CHECK(torch::equal(after.at("head.bias"), before.at("head.bias")));
  for (const auto& [name, tensor] : after)
    if (name.rfind("head", 0) != 0) CHECK(torch::equal(tensor, source.at(name)));
  CHECK(report.skipped == std::vector<std::string>{"head.bias", "head.weight"});
  CHECK(report.loaded.size() == after.size() - 2);

  // A prefix names a module path, not any name that starts with the same letters.
  StateDict with_dist = source;
  with_dist["head_dist.weight"] = torch::zeros({2});
  CHECK_THROWS_WITH(load_state_dict(*model, with_dist, options, "pretrained"),
                    Catch::Contains("'head_dist.weight'"));
  options.skip = {"blocks.1."};
  StateDict shallow = source;
  for (const auto& [name, tensor] : source)
    if (name.rfind("blocks.1.", 0) == 0) shallow.erase(name);
  CHECK_THROWS_WITH(load_state_dict(*model, shallow, options, "pretrained"),
                    Catch::Contains("'head.weight'"));
}

TEST_CASE("weights: a lenient load takes what fits and reports the rest", "[models][weights]") {
  StateDict source = snapshot(*mini(2, 5, 0));
  source.erase("norm.weight");
  source["extra.weight"] = torch::zeros({3});
  auto model = mini(2, 10, 1);
  const StateDict before = snapshot(*model);
  LoadOptions options;
  options.strict = false;
  const LoadReport report = load_state_dict(*model, source, options, "lenient");
  CHECK(report.missing == std::vector<std::string>{"norm.weight"});
  CHECK(report.unexpected == std::vector<std::string>{"extra.weight"});
  CHECK(report.misshaped == std::vector<std::string>{"head.bias: weights [5], model [10]",
                                                     "head.weight: weights [5, 32], model [10, 32]"});
  const StateDict after = snapshot(*model);
  CHECK(torch::equal(after.at("norm.weight"), before.at("norm.weight")));
  CHECK(torch::equal(after.at("head.weight"), before.at("head.weight")));
  CHECK(torch::equal(after.at("norm.bias"), source.at("norm.bias")));
  CHECK(report.loaded.size() == after.size() - 3);
  CHECK(report.summary().find("not in the model (ignored): extra.weight") != std::string::npos);
}

TEST_CASE("weights: wrapper prefixes are stripped only when every name has them", "[models][weights]") {
  const auto t = torch::zeros({1});
  const StateDict wrapped = {{"module.model.a", t}, {"module.model.b.c", t}};
  const StateDict stripped = strip_wrapper_prefixes(wrapped);
  CHECK(stripped.size() == 2);
  CHECK(stripped.count("a"));
  CHECK(stripped.count("b.c"));
  const StateDict mixed = {{"module.a", t}, {"b", t}};
  CHECK(strip_wrapper_prefixes(mixed).count("module.a"));
  CHECK(strip_wrapper_prefixes({{"_orig_mod.x", t}}).count("x"));
}

TEST_CASE("weights: renames go through the family's name map and clashes are errors", "[models][weights]") {
  const auto t = torch::zeros({1});
  CHECK(name_map_for("vit")("blocks.0.attn.qkv.weight") == "blocks.0.attn.qkv.weight");
  register_name_map("test_family", [](const std::string& name) {
    if (name == "drop.me") return std::string();
    return name.rfind("old.", 0) == 0 ? "new." + name.substr(4) : name;
  });
  const StateDict renamed =
      rename_weights({{"old.w", t}, {"drop.me", t}, {"kept", t}}, name_map_for("test_family"), "test");
  CHECK(renamed.size() == 2);
  CHECK(renamed.count("new.w"));
  CHECK(renamed.count("kept"));
  CHECK_THROWS_WITH(rename_weights({{"old.w", t}, {"new.w", t}}, name_map_for("test_family"), "'f.pt'"),
                    Catch::Contains("'f.pt'") && Catch::Contains("'new.w'") && Catch::Contains("'old.w'"));
}

TEST_CASE("weights: saved weights carry metadata and read back as safetensors or from a checkpoint",
          "[models][weights]") {
  TempDir dir;
  auto model = mini(1, 10, 0);
  save_weights(dir.path("w.safetensors"), *model, {{"classes", "[\"a\"]"}});
  const auto file = read_safetensors(dir.path("w.safetensors"));
  CHECK(file.metadata.at("format") == "pt");
  CHECK(file.metadata.at("model") == "vit_mini_patch4_28");
  CHECK(file.metadata.at("softvit_version") == "0.1.0");
  CHECK(file.metadata.at("classes") == "[\"a\"]");
  CHECK(read_weights_metadata(dir.path("w.safetensors")) == file.metadata);
  CHECK(same(read_weights(dir.path("w.safetensors")), snapshot(*model)));

  CheckpointInfo info;
  info.model_name = "vit_mini_patch4_28";
  save_checkpoint(dir.path("c.pt"), *model, nullptr, info);
  CHECK(same(read_weights(dir.path("c.pt")), snapshot(*model)));
  CHECK(read_weights_metadata(dir.path("c.pt")).empty());
  CHECK_THROWS_WITH(read_weights(dir.path("none.safetensors")), Catch::Contains("none.safetensors"));
  dir.write("junk.pt", std::string("PK\x03\x04") + " not really a zip");
  CHECK_THROWS_WITH(read_weights(dir.path("junk.pt")), Catch::Contains("junk.pt"));
}

TEST_CASE("weights: model.init_from initialises a built model and init_skip fine-tunes on other classes",
          "[models][weights]") {
  TempDir dir;
  auto pretrained = mini(2, 1000, 0);
  save_weights(dir.path("pre.safetensors"), *pretrained);
  const StateDict expected = snapshot(*pretrained);

  ModelSection section = mini_section(2, 10);
  auto untouched = mini(2, 10, 1);
  const StateDict before = snapshot(*untouched);
  CHECK(init_model_weights(*untouched, section).loaded.empty());  // no init_from: nothing happens
  CHECK(same(snapshot(*untouched), before));

  section.init_from = dir.path("pre.safetensors");
  auto model = mini(2, 10, 1);
  CHECK_THROWS_WITH(init_model_weights(*model, section), Catch::Contains("pre.safetensors") &&
                                                             Catch::Contains("[1000, 32]") &&
                                                             Catch::Contains("model.init_skip"));
  section.init_skip = {"head"};
  const LoadReport report = init_model_weights(*model, section);
  CHECK(report.skipped.size() == 2);
  for (const auto& [name, tensor] : snapshot(*model))
    if (name.rfind("head.", 0) != 0) CHECK(torch::equal(tensor, expected.at(name)));
  section.init_skip = {};
  section.init_strict = false;
  CHECK(init_model_weights(*model, section).misshaped.size() == 2);
}
