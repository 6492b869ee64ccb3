#include "eval/positive_class.h"

#include <algorithm>

#include "core/error.h"
#include "core/strings.h"

namespace softvit {

int positive_class_index(const std::string& value, const std::vector<std::string>& classes) {
  const auto named = std::find(classes.begin(), classes.end(), value);
  if (named != classes.end()) return static_cast<int>(named - classes.begin());
  const bool digits = !value.empty() && std::all_of(value.begin(), value.end(),
                                                    [](unsigned char c) { return std::isdigit(c); });
  if (digits && value.size() < 10 && std::stoll(value) < static_cast<long long>(classes.size()))
    return static_cast<int>(std::stoll(value));
  std::vector<std::string> listed;
  for (size_t c = 0; c < classes.size(); ++c) listed.push_back(cat(c, " '", classes[c], "'"));
  throw ConfigError(cat("option 'eval.positive_class' is '", value,
                        "', which is neither a class name nor an index ",
                        "of this model's classes: ", join(listed, ", ")));
}

}  // namespace softvit
