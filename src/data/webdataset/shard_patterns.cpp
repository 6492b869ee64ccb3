#include "data/webdataset/shard_patterns.h"

#include <glob.h>

#include <filesystem>
#include <set>

#include "core/error.h"
#include "core/strings.h"

namespace softvit {
namespace {

bool all_digits(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

// "000..012" -> 000, 001, ..., 012; false when `body` is not a numeric range.
bool expand_range(const std::string& body, std::vector<std::string>& out) {
  const size_t dots = body.find("..");
  if (dots == std::string::npos) return false;
  const std::string lo = body.substr(0, dots), hi = body.substr(dots + 2);
  if (!all_digits(lo) || !all_digits(hi) || lo.size() > 18 || hi.size() > 18) return false;
  const bool padded = (lo.size() > 1 && lo[0] == '0') || (hi.size() > 1 && hi[0] == '0');
  const size_t width = padded ? std::max(lo.size(), hi.size()) : 0;
  const long long a = std::stoll(lo), b = std::stoll(hi), step = a <= b ? 1 : -1;
  if ((b - a) * step > 10000000) throw ConfigError(cat("data.shards: the range {", body, "} is too long"));
  for (long long v = a;; v += step) {
    std::string text = std::to_string(v);
    if (text.size() < width) text.insert(0, width - text.size(), '0');
    out.push_back(text);
    if (v == b) break;
  }
  return true;
}

bool has_glob(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

}  // namespace

std::vector<std::string> expand_braces(const std::string& pattern) {
  for (size_t open = pattern.find('{'); open != std::string::npos; open = pattern.find('{', open + 1)) {
    int depth = 0;
    size_t close = std::string::npos;
    std::vector<size_t> commas;
    for (size_t i = open; i < pattern.size() && close == std::string::npos; ++i) {
      if (pattern[i] == '{') ++depth;
      if (pattern[i] == '}' && --depth == 0) close = i;
      if (pattern[i] == ',' && depth == 1) commas.push_back(i);
    }
    if (close == std::string::npos) break;  // unbalanced: the rest is literal
    std::vector<std::string> alternatives;
    if (!commas.empty()) {
      size_t from = open + 1;
      for (size_t comma : commas) {
        alternatives.push_back(pattern.substr(from, comma - from));
        from = comma + 1;
      }
      alternatives.push_back(pattern.substr(from, close - from));
    } else if (!expand_range(pattern.substr(open + 1, close - open - 1), alternatives)) {
      continue;  // "{x}": literal braces
    }
    std::vector<std::string> out;
    const std::string prefix = pattern.substr(0, open), suffix = pattern.substr(close + 1);
    for (const auto& alternative : alternatives)
      for (auto& expanded : expand_braces(prefix + alternative + suffix)) out.push_back(std::move(expanded));
    return out;
  }
  return {pattern};
}

std::vector<std::string> resolve_shards(const std::string& root, const std::vector<std::string>& patterns,
                                        const std::string& split) {
  if (patterns.empty())
    throw ConfigError(
        "data.shards is empty: data.source webdataset needs the shard files, e.g. "
        "[\"name-{split}-{000000..000009}.tar\"] or [\"name-{split}-*.tar.gz\"]");
  std::vector<std::string> shards;
  std::set<std::string> seen;
  for (std::string pattern : patterns) {
    for (size_t at = pattern.find("{split}"); at != std::string::npos; at = pattern.find("{split}", at))
      pattern.replace(at, 7, split);
    const std::string full = std::filesystem::path(pattern).is_absolute()
                                 ? pattern
                                 : (std::filesystem::path(root) / pattern).string();
    std::vector<std::string> matched;
    for (const auto& expanded : expand_braces(full)) {
      if (!has_glob(expanded)) {
        if (!std::filesystem::is_regular_file(expanded))
          throw DataError(cat("shard ", expanded, " (from data.shards '", pattern, "') does not exist"));
        matched.push_back(expanded);
        continue;
      }
      glob_t found{};
      const int status = glob(expanded.c_str(), 0, nullptr, &found);
      for (size_t i = 0; status == 0 && i < found.gl_pathc; ++i) matched.push_back(found.gl_pathv[i]);
      globfree(&found);
      if (status != 0 && status != GLOB_NOMATCH)
        throw DataError(cat("data.shards '", pattern, "': cannot list ", expanded));
    }
    if (matched.empty())
      throw DataError(
          cat("data.shards '", pattern, "' matches no file for split '", split, "' (looked for ", full, ")"));
    for (auto& shard : matched) {
      if (!seen.insert(shard).second) throw DataError(cat("shard ", shard, " is named twice by data.shards"));
      shards.push_back(std::move(shard));
    }
  }
  return shards;
}

}  // namespace softvit
