// Every config field has exactly one declaration (core/config/*_options.inc) and every declaration
// a field. A declaration without a field does not compile (options.cpp takes the field's address);
// a field written into a section struct by hand, beside the declarations, is caught here by
// counting the struct's fields.
#include <cmath>
#include <limits>
#include <set>
#include <type_traits>
#include <utility>

#include "catch.h"
#include "core/config.h"
#include "core/config_schema.h"
#include "core/error.h"

using namespace softvit;

namespace {

// Converts to any field type; only named in unevaluated contexts.
struct AnyField {
  template <typename T>
  operator T() const;
};

template <typename T, typename Indices, typename = void>
struct BraceInitialisableWith : std::false_type {};
template <typename T, size_t... I>
struct BraceInitialisableWith<T, std::index_sequence<I...>, std::void_t<decltype(T{(void(I), AnyField{})...})>>
    : std::true_type {};

// The number of fields of an aggregate: the most initialisers T{...} accepts.
template <typename T, size_t N = 0>
constexpr size_t field_count() {
  if constexpr (BraceInitialisableWith<T, std::make_index_sequence<N + 1>>::value)
    return field_count<T, N + 1>();
  else
    return N;
}

struct Probe {
  int a = 1;
  std::string b = "x";
  std::vector<double> c = {1, 2};
  bool d = false;
};

// The fields a struct at `path` ("" for RunConfig, "data", "data.dicom") must have: one per option
// directly under it and one per nested section.
size_t declared_fields(const std::string& path) {
  const std::string prefix = path.empty() ? "" : path + ".";
  std::set<std::string> fields;
  for (const auto& option : schema().options()) {
    if (option.key.rfind(prefix, 0) != 0) continue;
    const std::string rest = option.key.substr(prefix.size());
    fields.insert(rest.substr(0, rest.find('.')));
  }
  return fields.size();
}

std::string config_error(const std::string& yaml) {
  try {
    parse_config(yaml, "inline");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("options: the field count sees every field of a section struct", "[config]") {
  static_assert(field_count<Probe>() == 4);  // the counter itself, on a struct of the same kinds
  CHECK(field_count<Probe>() == 4);
}

TEST_CASE("options: each section's fields are exactly its declared options", "[config]") {
  CHECK(declared_fields("") == field_count<RunConfig>());
  CHECK(declared_fields("run") == field_count<RunSection>());
  CHECK(declared_fields("model") == field_count<ModelSection>());
  CHECK(declared_fields("data") == field_count<DataSection>());
  CHECK(declared_fields("data.dicom") == field_count<DicomSection>());
  CHECK(declared_fields("train") == field_count<TrainSection>());
  CHECK(declared_fields("checkpoint") == field_count<CheckpointSection>());
  CHECK(declared_fields("optim") == field_count<OptimSection>());
  CHECK(declared_fields("schedule") == field_count<ScheduleSection>());
  CHECK(declared_fields("eval") == field_count<EvalSection>());
  CHECK(declared_fields("dist") == field_count<DistSection>());
}

TEST_CASE("options: every declaration has help and accepts its own default", "[config]") {
  const RunConfig defaults;
  for (const auto& option : schema().options()) {
    INFO(option.key);
    CHECK(option.help.size() > 5);
    CHECK(option.check(defaults).empty());
  }
}

TEST_CASE("options: a value outside its declared limit names the key and the limit", "[config]") {
  CHECK(config_error("train: {epochs: 0}").find("'train.epochs' must be at least 1") != std::string::npos);
  CHECK(config_error("data: {workers: -1}").find("'data.workers' must not be negative") != std::string::npos);
  CHECK(config_error("data: {hflip: 1.5}").find("'data.hflip' must be a probability") != std::string::npos);
  CHECK(config_error("optim: {name: lamb}").find("'optim.name' is 'lamb', expected adamw | sgd") !=
        std::string::npos);
  CHECK(config_error("model: {local_conv: [3, 4]}").find("'model.local_conv' values must be 0 or odd") !=
        std::string::npos);
  CHECK(config_error("model: {landmark_count: 50}").find("'model.landmark_count' must be a square") !=
        std::string::npos);
  CHECK(config_error("optim: {betas: [0.9]}").find("'optim.betas' needs 2 values") != std::string::npos);
  CHECK(config_error("run: {device: tpu}").find("'run.device' is 'tpu'") != std::string::npos);
  // Limits between two options stay in validate().
  CHECK(config_error("optim: {lr: 0.001}\nschedule: {min_lr: 0.01}").find("schedule.min_lr") !=
        std::string::npos);
  CHECK(config_error("data: {mean: [0.5], std: [0.2, 0.2]}").find("as many values as data.mean") !=
        std::string::npos);
  CHECK(config_error("train: {epochs: 3}").empty());
}
