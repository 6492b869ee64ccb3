#include <filesystem>
#include <fstream>

#include "catch.h"
#include "core/config.h"
#include "core/error.h"
#include "test_util.h"

using namespace softvit;

TEST_CASE("config: defaults come from the declared fields", "[config]") {
  const RunConfig c = parse_config("", "empty");
  CHECK(c.train.epochs == TrainSection{}.epochs);
  CHECK(c.optim.lr == OptimSection{}.lr);
}

TEST_CASE("config: values are read into typed fields", "[config]") {
  TempDir dir;
  const auto file = dir.write(
      "a.yaml", "model:\n  name: deit_tiny\n  depth: 6\noptim:\n  lr: 0.002\n  betas: [0.8, 0.9]\n");
  const RunConfig c = load_config(file);
  CHECK(c.model.name == "deit_tiny");
  CHECK(c.model.depth == 6);
  CHECK(c.optim.lr == Approx(0.002));
  CHECK(c.optim.betas == std::vector<double>{0.8, 0.9});
  CHECK(c.run.output == "runs/a");  // named after the file when not set
}

TEST_CASE("config: an unknown key names itself and its file and line and the closest key", "[config]") {
  TempDir dir;
  const auto file = dir.write("typo.yaml", "model:\n  name: deit_tiny\n  dpeth: 6\n");
  try {
    load_config(file);
    FAIL("no error for an unknown key");
  } catch (const ConfigError& e) {
    const std::string m = e.what();
    CHECK(m.find("model.dpeth") != std::string::npos);
    CHECK(m.find("typo.yaml:3") != std::string::npos);
    CHECK(m.find("model.depth") != std::string::npos);
  }
}

TEST_CASE("config: a wrong type names the key and the expected type", "[config]") {
  TempDir dir;
  const auto file = dir.write("bad.yaml", "train:\n  epochs: many\n");
  try {
    load_config(file);
    FAIL("no error for a wrong type");
  } catch (const ConfigError& e) {
    const std::string m = e.what();
    CHECK(m.find("train.epochs") != std::string::npos);
    CHECK(m.find("integer") != std::string::npos);
    CHECK(m.find("bad.yaml:2") != std::string::npos);
  }
  CHECK_THROWS_AS(parse_config("optim: {betas: 0.9}", "inline"), ConfigError);  // list expected
  CHECK_THROWS_AS(parse_config("model: 3", "inline"), ConfigError);             // section expected
  CHECK_THROWS_AS(parse_config("data: {hflip: yes please}", "inline"), ConfigError);
}

TEST_CASE("config: --set overrides any key after the file", "[config]") {
  TempDir dir;
  const auto file = dir.write("a.yaml", "model:\n  depth: 6\n");
  const RunConfig c =
      load_config(file, {"model.depth=3", "data.mean=[0.5]", "data.std=[0.25]", "run.device=cpu"});
  CHECK(c.model.depth == 3);
  CHECK(c.data.mean == std::vector<double>{0.5});
  CHECK_THROWS_AS(load_config(file, {"model.depht=3"}), ConfigError);
  CHECK_THROWS_AS(load_config(file, {"model.depth"}), ConfigError);
  CHECK_THROWS_AS(load_config(file, {"model.depth=three"}), ConfigError);
}

TEST_CASE("config: include reads the base first and the including file wins", "[config]") {
  TempDir dir;
  dir.write("base.yaml", "model:\n  depth: 6\n  embed_dim: 96\ntrain:\n  epochs: 3\n");
  dir.write("sub/mid.yaml", "include: ../base.yaml\ntrain:\n  epochs: 4\n");
  const auto file = dir.write("sub/top.yaml", "include: [mid.yaml]\nmodel:\n  depth: 2\n");
  const RunConfig c = load_config(file);
  CHECK(c.model.depth == 2);       // own key
  CHECK(c.model.embed_dim == 96);  // from base, two levels down
  CHECK(c.train.epochs == 4);      // mid overrides base
  dir.write("loop.yaml", "include: loop.yaml\n");
  CHECK_THROWS_AS(load_config(dir.path("loop.yaml")), ConfigError);
  dir.write("missing.yaml", "include: nowhere.yaml\n");
  CHECK_THROWS_WITH(load_config(dir.path("missing.yaml")), Catch::Contains("nowhere.yaml"));
}

TEST_CASE("config: the YAML dump reads back to the same config", "[config]") {
  RunConfig c;
  c.model.depth = 7;
  c.data.classes = {"a", "b c"};
  c.optim.betas = {0.5, 0.75};
  c.run.output = "somewhere";
  const RunConfig back = parse_config(to_yaml(c, /*with_help=*/true), "dump");
  CHECK(to_yaml(back) == to_yaml(c));
  CHECK(back.data.classes == c.data.classes);
}

TEST_CASE("config: values that parse but make no sense are refused", "[config]") {
  CHECK_THROWS_WITH(parse_config("train: {epochs: 0}", "x"), Catch::Contains("train.epochs"));
  CHECK_THROWS_WITH(parse_config("run: {device: tpu}", "x"), Catch::Contains("run.device"));
  CHECK_THROWS_WITH(parse_config("data: {mean: [0.1, 0.2]}", "x"), Catch::Contains("data.std"));
}
