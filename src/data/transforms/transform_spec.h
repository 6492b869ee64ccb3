// The text form of a transform in the config: name(key=value, ...), values numbers, ranges
// "lo:hi" or words; a transform without arguments may omit the parentheses ("hflip").
#pragma once
#include <initializer_list>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace softvit {

class TransformSpec {
 public:
  // `where` names the config entry in errors, e.g. "data.train_transforms[2]".
  TransformSpec(const std::string& text, const std::string& where);

  const std::string& name() const { return name_; }
  const std::vector<std::string>& positional() const { return positional_; }
  bool has(const std::string& key) const { return args_.count(key) > 0; }

  double number(const std::string& key, double fallback) const;
  int integer(const std::string& key, int fallback) const;
  std::pair<double, double> range(const std::string& key, std::pair<double, double> fallback) const;
  std::string word(const std::string& key, const std::string& fallback) const;

  // Rejects arguments other than `known` (and positional ones unless allowed).
  void allow(std::initializer_list<const char*> known, bool positional = false) const;
  // A ConfigError message naming the entry and the transform.
  std::string error(const std::string& what) const;

 private:
  std::string text_, where_, name_;
  std::vector<std::string> positional_;
  std::map<std::string, std::string> args_;
};

}  // namespace softvit
