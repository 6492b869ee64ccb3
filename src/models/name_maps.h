// How tensor names in published weights map to softvit's, per model family. softvit names its
// parameters after each family's reference release (timm's vision_transformer for ViT / DeiT, the
// SOFT release for SOFT), so these maps are identities until a family's reference names differ;
// such a family adds its map to the table in name_maps.cpp (or registers one at run time).
#pragma once
#include <functional>
#include <string>

#include "models/weights.h"

namespace softvit {

// Reference name -> softvit name; an empty result drops the tensor.
using NameMap = std::function<std::string(const std::string&)>;

// The map of a model family ("vit", ...); the identity for a family without one.
NameMap name_map_for(const std::string& family);

// Adds or replaces a family's map. Not thread-safe: register before loading weights.
void register_name_map(const std::string& family, NameMap map);

// Renames every tensor of `weights`; two tensors given one name is a CheckpointError naming both
// and `origin`.
StateDict rename_weights(const StateDict& weights, const NameMap& map, const std::string& origin);

}  // namespace softvit
