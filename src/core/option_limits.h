// The limits an option's declaration names (core/config/*_options.inc). A limit is a callable
// taking the field's value and returning "" when the value is allowed, else what is wrong
// ("must be at least 1"); validate() puts the option's key in front. Limits that relate two
// options (min_lr below lr, ...) stay in validate().
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "core/strings.h"

namespace softvit::limits {

inline auto any() {
  return [](const auto&) { return std::string(); };
}

// Comparisons written so that NaN fails them.
inline auto at_least(double min, std::string note = "") {
  return [min, note](auto value) -> std::string {
    if (static_cast<double>(value) >= min) return "";
    std::string what = min == 0 ? "must not be negative" : cat("must be at least ", min);
    return note.empty() ? what : cat(what, " (", note, ")");
  };
}

inline auto positive() {
  return [](auto value) -> std::string { return value > 0 ? "" : "must be positive"; };
}

inline auto fraction() {  // [0, 1)
  return [](double value) -> std::string { return value >= 0 && value < 1 ? "" : "must be in [0, 1)"; };
}

inline auto probability() {  // [0, 1]
  return [](double value) -> std::string {
    return value >= 0 && value <= 1 ? "" : "must be a probability in [0, 1]";
  };
}

inline std::string choices(const std::vector<std::string>& allowed) {
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : " | ") + a;
  return list;
}

inline auto one_of(std::vector<std::string> allowed) {
  return [allowed](const std::string& value) -> std::string {
    for (const auto& a : allowed)
      if (value == a) return "";
    return cat("is '", value, "', expected ", choices(allowed));
  };
}

inline auto empty_or_one_of(std::vector<std::string> allowed) {
  return [allowed](const std::string& value) -> std::string {
    return value.empty() ? "" : one_of(allowed)(value);
  };
}

inline auto one_of_values(std::vector<int> allowed) {
  return [allowed](int value) -> std::string {
    std::string list;
    for (int a : allowed) {
      if (value == a) return "";
      list += (list.empty() ? "" : " | ") + std::to_string(a);
    }
    return cat("is ", value, ", expected ", list);
  };
}

inline auto not_empty(std::string what) {
  return [what](const std::string& value) -> std::string { return value.empty() ? what : ""; };
}

// Lists: the number of values, or a limit on each value.
inline auto count(size_t n) {
  return [n](const auto& values) -> std::string {
    return values.size() == n ? "" : cat("needs ", n, " values, got ", values.size());
  };
}

template <typename Limit>
auto each(Limit limit) {
  return [limit](const auto& values) -> std::string {
    for (const auto& v : values)
      if (std::string why = limit(v); !why.empty()) return "values " + why;
    return "";
  };
}

inline auto odd_or_zero() {
  return [](int value) -> std::string {
    return value == 0 || (value > 0 && value % 2 == 1) ? "" : "must be 0 or odd";
  };
}

inline auto square_or_zero() {  // SOFT's fixed landmarks form a square grid
  return [](int value) -> std::string {
    if (value < 0) return "must not be negative";
    int side = 0;
    while (side * side < value) ++side;
    return side * side == value ? "" : "must be a square (49 = 7 x 7, ...) or 0";
  };
}

inline auto device_name() {  // cpu | cuda | cuda:N
  return [](const std::string& value) -> std::string {
    return value == "cpu" || value.rfind("cuda", 0) == 0
               ? ""
               : cat("is '", value, "', expected cpu, cuda or cuda:N");
  };
}

}  // namespace softvit::limits
