// The machinery behind the option table: typed setters and getters keyed by dotted names.
#pragma once
#include <yaml-cpp/yaml.h>

#include <functional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/config.h"

namespace softvit {

struct Option {
  std::string key;   // dotted: "model.depth"
  std::string type;  // "int", "float", "bool", "string", "list of ..."
  std::string help;
  // Sets the field from YAML; `where` ("file:line") is used in error messages.
  std::function<void(RunConfig&, const YAML::Node&, const std::string& where)> set;
  std::function<YAML::Node(const RunConfig&)> get;
  // "" when the value keeps the declared limit, else what is wrong ("must be at least 1").
  std::function<std::string(const RunConfig&)> check;
};

// A field as YAML; floats in their shortest form that reads back exactly (0.003, not
// 0.0030000000000000001).
template <typename T>
YAML::Node to_node(const T& value) {
  return YAML::Node(value);
}
template <>
YAML::Node to_node<double>(const double& value);
template <>
YAML::Node to_node<std::vector<double>>(const std::vector<double>& values);
template <>
YAML::Node to_node<DicomWindow>(const DicomWindow& window);

// Converts a YAML node to T or throws ConfigError naming key, place and expected type.
template <typename T>
T convert_option(const YAML::Node& node, const std::string& key, const std::string& where);
template <typename T>
std::string type_name();

class Schema {
 public:
  // `access` maps a RunConfig to the field: [](RunConfig& c) -> auto& { return c.model.depth; }
  template <typename Access, typename Limit>
  void add(std::string key, Access access, std::string help, Limit limit) {
    using T = std::remove_reference_t<decltype(access(std::declval<RunConfig&>()))>;
    Option option;
    option.key = key;
    option.type = type_name<T>();
    option.help = std::move(help);
    option.set = [access, key](RunConfig& c, const YAML::Node& node, const std::string& where) {
      access(c) = convert_option<T>(node, key, where);
    };
    option.get = [access](const RunConfig& c) {
      return to_node(access(const_cast<RunConfig&>(c)));  // read only
    };
    option.check = [access, limit](const RunConfig& c) -> std::string {
      return limit(access(const_cast<RunConfig&>(c)));  // read only
    };
    options_.push_back(std::move(option));
  }

  const std::vector<Option>& options() const { return options_; }
  const Option* find(const std::string& key) const;
  bool is_section(const std::string& key) const;  // a strict prefix of some option key
  std::string closest_key(const std::string& key) const;

 private:
  std::vector<Option> options_;
};

// The one table of options, built on first use.
const Schema& schema();

}  // namespace softvit
