#include "models/attention_registry.h"

#include <functional>
#include <map>

#include "core/error.h"
#include "core/strings.h"
#include "models/attention/seqnorm.h"
#include "models/attention/sima.h"
#include "models/attention/soft.h"
#include "models/attention/softmax.h"

namespace softvit {
namespace {

using Factory = std::function<AttentionPtr(const AttentionOptions&)>;

const std::map<std::string, Factory>& factories() {
  static const std::map<std::string, Factory> table = {
      {"softmax", [](const AttentionOptions& o) { return std::make_shared<SoftmaxAttention>(o); }},
      {"soft", [](const AttentionOptions& o) { return std::make_shared<SoftAttention>(o, false); }},
      {"soft_norm", [](const AttentionOptions& o) { return std::make_shared<SoftAttention>(o, true); }},
      {"seqnorm", [](const AttentionOptions& o) { return std::make_shared<SeqNormAttention>(o); }},
      {"sima", [](const AttentionOptions& o) { return std::make_shared<SimaAttention>(o); }},
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
