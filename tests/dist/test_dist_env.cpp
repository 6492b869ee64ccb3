// The multi-process environment: what launchers set, and clear errors for what they got wrong.
#include <map>

#include "catch.h"
#include "core/error.h"
#include "dist/env.h"

using namespace softvit;
using softvit::dist::parse_dist_env;

namespace {

dist::DistEnv parse(const std::map<std::string, std::string>& vars) {
  return parse_dist_env([&](const char* name) -> const char* {
    const auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  });
}

const std::map<std::string, std::string> kGood = {{"RANK", "3"},
                                                  {"WORLD_SIZE", "4"},
                                                  {"LOCAL_RANK", "1"},
                                                  {"MASTER_ADDR", "node7"},
                                                  {"MASTER_PORT", "29511"}};

std::map<std::string, std::string> with(std::string key, std::string value) {
  auto vars = kGood;
  vars[key] = value;
  return vars;
}

std::map<std::string, std::string> without(const std::string& key) {
  auto vars = kGood;
  vars.erase(key);
  return vars;
}

}  // namespace

TEST_CASE("dist env: no WORLD_SIZE or WORLD_SIZE 1 is a single process", "[dist]") {
  CHECK_FALSE(parse({}).distributed());
  const auto one = parse({{"WORLD_SIZE", "1"}, {"RANK", "garbage"}});  // the rest is not read
  CHECK_FALSE(one.distributed());
  CHECK(one.rank == 0);
}

TEST_CASE("dist env: a full torchrun-style environment", "[dist]") {
  const auto env = parse(kGood);
  CHECK(env.distributed());
  CHECK(env.rank == 3);
  CHECK(env.world_size == 4);
  CHECK(env.local_rank == 1);
  CHECK(env.local_world_size == 1);
  CHECK(env.master() == "node7:29511");
  CHECK(parse(without("LOCAL_RANK")).local_rank == 3);  // one process per machine: LOCAL_RANK = RANK
  CHECK(parse(with("LOCAL_WORLD_SIZE", "2")).local_world_size == 2);
  CHECK_FALSE(env.agent_store);
  auto torchrun = kGood;
  torchrun["TORCHELASTIC_USE_AGENT_STORE"] = "True";
  torchrun["TORCHELASTIC_RESTART_COUNT"] = "2";
  CHECK(parse(torchrun).agent_store);
  CHECK(parse(torchrun).restart_count == 2);
}

TEST_CASE("dist env: errors name the variable", "[dist]") {
  using Catch::Contains;
  CHECK_THROWS_WITH(parse(without("RANK")), Contains("RANK is not set"));
  CHECK_THROWS_WITH(parse(without("MASTER_ADDR")), Contains("MASTER_ADDR is not set"));
  CHECK_THROWS_WITH(parse(without("MASTER_PORT")), Contains("MASTER_PORT is not set"));
  CHECK_THROWS_WITH(parse(with("RANK", "two")), Contains("RANK='two' is not an integer"));
  CHECK_THROWS_WITH(parse(with("WORLD_SIZE", "4x")), Contains("WORLD_SIZE='4x' is not an integer"));
  CHECK_THROWS_WITH(parse(with("RANK", "4")), Contains("RANK=4 must be below WORLD_SIZE=4"));
  CHECK_THROWS_WITH(parse(with("RANK", "-1")), Contains("RANK=-1 is outside"));
  CHECK_THROWS_WITH(parse(with("MASTER_PORT", "70000")), Contains("MASTER_PORT=70000 is outside 1..65535"));
  CHECK_THROWS_WITH(parse(with("WORLD_SIZE", "0")), Contains("WORLD_SIZE=0 is outside"));
  CHECK_THROWS_AS(parse(with("MASTER_PORT", "")), ConfigError);
  CHECK(parse(with("LOCAL_RANK", "")).local_rank == 3);  // empty counts as unset
}
