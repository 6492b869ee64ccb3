// The dataset formats data.source names. A new format is one source file that defines its
// SourceKind, plus one line in source_registry.cpp (and its name among data.source's choices in
// core/config/data_options.inc, which a test holds to this registry).
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "core/config/data_section.h"
#include "data/sources/source.h"

namespace softvit {

struct SourceKind {
  std::string name;
  // Opens a split for random access, keeping `limit` samples when > 0; labels follow data.classes
  // when it is set (names map to those indices; indices are checked against their count). Empty
  // for a format the loader streams.
  std::function<SourcePtr(const DataSection& data, const std::string& split, int64_t limit)> open;
  // Whether the data has a split of this name.
  std::function<bool(const DataSection& data, const std::string& split)> has_split;
  // Opens a split labelled in the order of `classes`, where some of them may be absent from the
  // split. Empty: open() with data.classes = classes.
  std::function<SourcePtr(const DataSection& data, const std::string& split,
                          const std::vector<std::string>& classes, int64_t limit)>
      open_with_classes;
  // The data names its classes (class folders, manifest values) rather than giving indices.
  bool labels_are_names = false;
  // Read as a stream of shards by the loader (make_shard_loader), not through open().
  bool streamed = false;
};

// The kind data.source names; a ConfigError listing the known ones for any other name.
const SourceKind& source_kind(const std::string& name);
std::vector<std::string> source_kinds();

}  // namespace softvit
