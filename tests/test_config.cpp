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

TEST_CASE("config: negative sizes and limits, and min_lr above lr, are refused", "[config]") {
  const std::pair<const char*, const char*> cases[] = {{"optim: {weight_decay: -0.01}", "optim.weight_decay"},
                                                       {"data: {limit_train: -1}", "data.limit_train"},
                                                       {"data: {limit_eval: -5}", "data.limit_eval"},
                                                       {"run: {threads: -2}", "run.threads"},
                                                       {"model: {img_size: -224}", "model.img_size"},
                                                       {"schedule: {min_lr: 0.01}", "schedule.min_lr"}};
  for (const auto& [yaml, key] : cases) {
    INFO(yaml);
    CHECK_THROWS_WITH(parse_config(yaml, "x"), Catch::Contains(key));
  }
  CHECK_THROWS_WITH(parse_config("optim: {lr: 0.001}\nschedule: {min_lr: 0.002}", "x"),
                    Catch::Contains("optim.lr"));
  // The limits that hold: equal rates, a constant schedule (min_lr unused), zero for "all" or "own".
  CHECK_NOTHROW(parse_config("optim: {lr: 0.001}\nschedule: {min_lr: 0.001}", "x"));
  CHECK_NOTHROW(parse_config("optim: {lr: 1.0e-9}\nschedule: {name: constant}", "x"));
  CHECK_NOTHROW(parse_config("data: {limit_train: 0}\nrun: {threads: 0}\nmodel: {img_size: 0}", "x"));
}

TEST_CASE("config: an empty or comment-only config file is an error saying what is expected", "[config]") {
  TempDir dir;
  for (const char* text : {"", "# only a comment\n\n   # and another\n"}) {
    INFO("'" << text << "'");
    const auto file = dir.write("empty.yaml", text);
    CHECK_THROWS_WITH(load_config(file), Catch::Contains("empty.yaml") && Catch::Contains("no options") &&
                                             Catch::Contains("softvit config --defaults"));
  }
  // An included file that is empty is refused the same way; a file of includes only is fine.
  dir.write("blank.yaml", "# nothing yet\n");
  CHECK_THROWS_WITH(load_config(dir.write("uses_blank.yaml", "include: blank.yaml\n")),
                    Catch::Contains("blank.yaml") && Catch::Contains("no options"));
  dir.write("base.yaml", "train: {epochs: 2}\n");
  CHECK(load_config(dir.write("only_include.yaml", "include: base.yaml\n")).train.epochs == 2);
}

TEST_CASE("config: a missing include names the including file and line", "[config]") {
  TempDir dir;
  dir.write("base.yaml", "train: {epochs: 2}\n");
  const auto file = dir.write("top.yaml", "model: {depth: 2}\ninclude:\n  - base.yaml\n  - nowhere.yaml\n");
  CHECK_THROWS_WITH(load_config(file), Catch::Contains("top.yaml:4") && Catch::Contains("nowhere.yaml") &&
                                           Catch::Contains("does not exist"));
  const auto single = dir.write("single.yaml", "include: gone.yaml\n");
  CHECK_THROWS_WITH(load_config(single), Catch::Contains("single.yaml:1") && Catch::Contains("gone.yaml"));
}
