#include "core/config_schema.h"

#include <cstdio>
#include <cstdlib>
#include <limits>

#include "core/error.h"
#include "core/strings.h"

namespace softvit {
namespace {

std::string shown(const YAML::Node& node) {
  if (node.IsScalar()) return "'" + node.Scalar() + "'";
  if (node.IsSequence()) return "a list";
  if (node.IsMap()) return "a map";
  return "nothing";
}

[[noreturn]] void wrong_type(const YAML::Node& node, const std::string& key, const std::string& where,
                             const std::string& expected) {
  throw ConfigError(cat(where, ": option '", key, "' expects ", expected, ", got ", shown(node)));
}

template <typename T>
T scalar(const YAML::Node& node, const std::string& key, const std::string& where,
         const std::string& expected) {
  if (!node.IsScalar()) wrong_type(node, key, where, expected);
  try {
    return node.as<T>();
  } catch (const YAML::Exception&) {
    wrong_type(node, key, where, expected);
  }
}

template <typename T>
std::vector<T> sequence(const YAML::Node& node, const std::string& key, const std::string& where) {
  const std::string expected = "a list of " + type_name<T>();
  if (!node.IsSequence()) wrong_type(node, key, where, expected);
  std::vector<T> values;
  for (const auto& item : node) {
    if (!item.IsScalar()) wrong_type(node, key, where, expected);
    values.push_back(convert_option<T>(item, key, where));
  }
  return values;
}

}  // namespace

template <>
YAML::Node to_node<double>(const double& value) {
  char text[32];
  for (int digits = 6; digits <= 17; ++digits) {
    std::snprintf(text, sizeof text, "%.*g", digits, value);
    if (std::strtod(text, nullptr) == value) break;
  }
  return YAML::Node(std::string(text));
}

template <>
YAML::Node to_node<std::vector<double>>(const std::vector<double>& values) {
  YAML::Node node(YAML::NodeType::Sequence);
  for (double v : values) node.push_back(to_node(v));
  return node;
}

// data.dicom.window: auto and minmax as themselves, a fixed window as {center: C, width: W}.
template <>
YAML::Node to_node<DicomWindow>(const DicomWindow& window) {
  if (window.mode != "fixed") return YAML::Node(window.mode);
  YAML::Node node(YAML::NodeType::Map);
  node["center"] = to_node(window.center);
  node["width"] = to_node(window.width);
  return node;
}

template <>
std::string type_name<int>() {
  return "int";
}
template <>
std::string type_name<double>() {
  return "float";
}
template <>
std::string type_name<bool>() {
  return "bool";
}
template <>
std::string type_name<std::string>() {
  return "string";
}
template <>
std::string type_name<std::vector<int>>() {
  return "list of int";
}
template <>
std::string type_name<std::vector<double>>() {
  return "list of float";
}
template <>
std::string type_name<std::vector<std::string>>() {
  return "list of string";
}

template <>
std::string type_name<DicomWindow>() {
  return "auto | minmax | {center, width}";
}

template <>
int convert_option<int>(const YAML::Node& node, const std::string& key, const std::string& where) {
  return scalar<int>(node, key, where, "an integer");
}
template <>
double convert_option<double>(const YAML::Node& node, const std::string& key, const std::string& where) {
  const auto& text = node.IsScalar() ? node.Scalar() : std::string();
  if (text == ".inf" || text == "-.inf" || text == ".nan") wrong_type(node, key, where, "a finite number");
  return scalar<double>(node, key, where, "a number");
}
template <>
bool convert_option<bool>(const YAML::Node& node, const std::string& key, const std::string& where) {
  return scalar<bool>(node, key, where, "true or false");
}
template <>
std::string convert_option<std::string>(const YAML::Node& node, const std::string& key,
                                        const std::string& where) {
  if (node.IsNull()) return "";
  return scalar<std::string>(node, key, where, "a string");
}
template <>
std::vector<int> convert_option<std::vector<int>>(const YAML::Node& node, const std::string& key,
                                                  const std::string& where) {
  return sequence<int>(node, key, where);
}
template <>
std::vector<double> convert_option<std::vector<double>>(const YAML::Node& node, const std::string& key,
                                                        const std::string& where) {
  return sequence<double>(node, key, where);
}
template <>
std::vector<std::string> convert_option<std::vector<std::string>>(const YAML::Node& node,
                                                                  const std::string& key,
                                                                  const std::string& where) {
  return sequence<std::string>(node, key, where);
}

template <>
DicomWindow convert_option<DicomWindow>(const YAML::Node& node, const std::string& key,
                                        const std::string& where) {
  const std::string expected = "auto, minmax, {center: C, width: W} or [C, W]";
  DicomWindow window;
  if (node.IsScalar()) {
    window.mode = node.Scalar();
    if (window.mode != "auto" && window.mode != "minmax") wrong_type(node, key, where, expected);
    return window;
  }
  window.mode = "fixed";
  if (node.IsSequence() && node.size() == 2) {
    window.center = convert_option<double>(node[0], key, where);
    window.width = convert_option<double>(node[1], key, where);
    return window;
  }
  if (!node.IsMap() || node.size() != 2 || !node["center"] || !node["width"])
    wrong_type(node, key, where, expected);
  window.center = convert_option<double>(node["center"], key, where);
  window.width = convert_option<double>(node["width"], key, where);
  return window;
}

const Option* Schema::find(const std::string& key) const {
  for (const auto& option : options_)
    if (option.key == key) return &option;
  return nullptr;
}

bool Schema::is_section(const std::string& key) const {
  for (const auto& option : options_)
    if (option.key.size() > key.size() && option.key.compare(0, key.size(), key) == 0 &&
        option.key[key.size()] == '.')
      return true;
  return false;
}

std::string Schema::closest_key(const std::string& key) const {
  std::string best;
  size_t best_distance = std::numeric_limits<size_t>::max();
  for (const auto& option : options_) {
    const size_t d = edit_distance(key, option.key);
    if (d < best_distance) {
      best_distance = d;
      best = option.key;
    }
  }
  return best;
}

}  // namespace softvit
