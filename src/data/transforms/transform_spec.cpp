#include "data/transforms/transform_spec.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "core/error.h"
#include "core/strings.h"

namespace softvit {
namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  const auto e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

bool to_double(const std::string& text, double& out) {
  if (text.empty()) return false;
  try {
    size_t used = 0;
    out = std::stod(text, &used);
    return used == text.size() && std::isfinite(out);
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

TransformSpec::TransformSpec(const std::string& text, const std::string& where)
    : text_(trim(text)), where_(where) {
  const auto open = text_.find('(');
  name_ = trim(text_.substr(0, open));
  if (name_.empty() ||
      !std::all_of(name_.begin(), name_.end(), [](unsigned char c) { return std::isalnum(c) || c == '_'; }))
    throw ConfigError(error("expected name(key=value, ...)"));
  if (open == std::string::npos) return;
  if (text_.back() != ')') throw ConfigError(error("missing ')'"));
  const std::string inner = text_.substr(open + 1, text_.size() - open - 2);
  if (trim(inner).empty()) return;
  for (const std::string& part : split(inner, ',')) {
    const std::string item = trim(part);
    const auto eq = item.find('=');
    if (eq == std::string::npos) {
      if (!args_.empty())
        throw ConfigError(error("positional argument '" + item + "' after key=value arguments"));
      positional_.push_back(item);
      continue;
    }
    const std::string key = trim(item.substr(0, eq)), value = trim(item.substr(eq + 1));
    if (key.empty() || value.empty()) throw ConfigError(error("malformed argument '" + item + "'"));
    if (!args_.emplace(key, value).second) throw ConfigError(error("argument '" + key + "' given twice"));
  }
}

std::string TransformSpec::error(const std::string& what) const {
  return cat(where_, ": transform '", text_, "': ", what);
}

void TransformSpec::allow(std::initializer_list<const char*> known, bool positional) const {
  if (!positional && !positional_.empty())
    throw ConfigError(error("unexpected argument '" + positional_.front() + "' (use key=value)"));
  for (const auto& arg : args_)
    if (std::none_of(known.begin(), known.end(), [&](const char* k) { return arg.first == k; })) {
      std::vector<std::string> names(known.begin(), known.end());
      throw ConfigError(error(cat("unknown argument '", arg.first, "' (known: ", join(names, ", "), ")")));
    }
}

double TransformSpec::number(const std::string& key, double fallback) const {
  const auto it = args_.find(key);
  if (it == args_.end()) return fallback;
  double value = 0;
  if (!to_double(it->second, value))
    throw ConfigError(error(cat(key, " = '", it->second, "' is not a number")));
  return value;
}

int TransformSpec::integer(const std::string& key, int fallback) const {
  const double value = number(key, fallback);
  if (value != std::floor(value)) throw ConfigError(error(cat(key, " must be an integer")));
  return static_cast<int>(value);
}

std::pair<double, double> TransformSpec::range(const std::string& key,
                                               std::pair<double, double> fallback) const {
  const auto it = args_.find(key);
  if (it == args_.end()) return fallback;
  const auto colon = it->second.find(':');
  std::pair<double, double> out;
  if (colon == std::string::npos || !to_double(trim(it->second.substr(0, colon)), out.first) ||
      !to_double(trim(it->second.substr(colon + 1)), out.second))
    throw ConfigError(error(cat(key, " = '", it->second, "' is not a range lo:hi")));
  if (out.first > out.second) throw ConfigError(error(cat(key, " = '", it->second, "': lo is above hi")));
  return out;
}

std::string TransformSpec::word(const std::string& key, const std::string& fallback) const {
  const auto it = args_.find(key);
  return it == args_.end() ? fallback : it->second;
}

}  // namespace softvit
