#include "models/name_maps.h"

#include "core/error.h"
#include "core/strings.h"

namespace softvit {
namespace {

std::string same_name(const std::string& name) { return name; }

std::map<std::string, NameMap>& table() {
  static std::map<std::string, NameMap> maps = {
      // timm vision_transformer names equal ours one to one (tests/models/test_timm_weights.cpp).
      {"vit", same_name},
  };
  return maps;
}

}  // namespace

NameMap name_map_for(const std::string& family) {
  const auto found = table().find(family);
  return found == table().end() ? NameMap(same_name) : found->second;
}

void register_name_map(const std::string& family, NameMap map) { table()[family] = std::move(map); }

StateDict rename_weights(const StateDict& weights, const NameMap& map, const std::string& origin) {
  StateDict out;
  std::map<std::string, std::string> source_of;
  for (const auto& [name, tensor] : weights) {
    const std::string renamed = map(name);
    if (renamed.empty()) continue;
    if (const auto clash = source_of.find(renamed); clash != source_of.end())
      throw CheckpointError(
          cat(origin, ": tensors '", clash->second, "' and '", name, "' both map to '", renamed, "'"));
    source_of[renamed] = name;
    out[renamed] = tensor;
  }
  return out;
}

}  // namespace softvit
