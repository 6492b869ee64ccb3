// Small string helpers: code that sees torch's headers cannot use the system fmt (see log.h).
#pragma once
#include <sstream>
#include <string>
#include <vector>

namespace softvit {

// Concatenates anything that has operator<<: cat("step ", 3, " of ", 10).
template <typename... Args>
std::string cat(const Args&... args) {
  std::ostringstream out;
  (out << ... << args);
  return out.str();
}

// Fixed-point with `digits` decimals: fixed(3.14159, 2) == "3.14".
std::string fixed(double value, int digits);

// Seconds as "1h02m03s", "2m05s" or "12s".
std::string duration(double seconds);

// Joins with a separator.
std::string join(const std::vector<std::string>& parts, const std::string& separator);

std::vector<std::string> split(const std::string& text, char separator);

// Levenshtein distance, for "did you mean" suggestions.
size_t edit_distance(const std::string& a, const std::string& b);

}  // namespace softvit
