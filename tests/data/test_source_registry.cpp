#include "catch.h"
#include "core/config.h"
#include "core/config_schema.h"
#include "core/error.h"
#include "data/sources/make_source.h"
#include "data/sources/source_registry.h"

using namespace softvit;

TEST_CASE("sources: every registered format is a value data.source accepts, and its help names it",
          "[data]") {
  const Option* option = schema().find("data.source");
  REQUIRE(option != nullptr);
  for (const auto& name : source_kinds()) {
    INFO(name);
    CHECK_NOTHROW(parse_config("data: {source: " + name + "}", "inline"));
    CHECK(option->help.find(name) != std::string::npos);
    const SourceKind& kind = source_kind(name);
    CHECK(kind.name == name);
    CHECK(static_cast<bool>(kind.has_split));
    CHECK(static_cast<bool>(kind.open) != kind.streamed);  // random access, or a stream
  }
}

TEST_CASE("sources: an unknown format is refused by the config and by the registry", "[data]") {
  CHECK_THROWS_AS(parse_config("data: {source: parquet}", "inline"), ConfigError);
  try {
    source_kind("parquet");
    FAIL("no error for an unknown source");
  } catch (const ConfigError& e) {
    const std::string m = e.what();
    CHECK(m.find("'parquet'") != std::string::npos);
    CHECK(m.find("folder") != std::string::npos);  // lists the known ones
  }
}

TEST_CASE("sources: a streamed format is not opened as a random-access source", "[data]") {
  DataSection data;
  data.source = "webdataset";
  CHECK(source_kind("webdataset").streamed);
  CHECK_THROWS_AS(make_source(data, "train"), ConfigError);
  data.source = "synthetic";
  data.synthetic_samples = 7;
  CHECK(make_source(data, "anything")->size() == 7);
  CHECK(split_exists(data, "anything"));
}
