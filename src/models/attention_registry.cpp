#include "models/attention_registry.h"

#include <functional>
#include <map>

#include "core/error.h"
#include "core/strings.h"
#include "models/softmax_attention.h"

namespace softvit {
namespace {

using Factory = std::function<AttentionPtr(const AttentionOptions&)>;

const std::map<std::string, Factory>& factories() {
  static const std::map<std::string, Factory> table = {
      {"softmax",
       [](const AttentionOptions& o) {
         return std::make_shared<SoftmaxAttention>(o.dim, o.num_heads, o.qkv_bias, o.proj_drop);
       }},
  };
  return table;
}

}  // namespace

AttentionPtr make_attention(const std::string& kind, const AttentionOptions& options) {
  const auto& table = factories();
  const auto it = table.find(kind);
  if (it == table.end())
    throw ConfigError(cat("unknown attention '", kind, "' (known: ", join(attention_kinds(), ", "), ")"));
  return it->second(options);
}

std::vector<std::string> attention_kinds() {
  std::vector<std::string> kinds;
  for (const auto& [name, factory] : factories()) kinds.push_back(name);
  return kinds;
}

}  // namespace softvit
