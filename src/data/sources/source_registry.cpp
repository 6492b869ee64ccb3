#include "data/sources/source_registry.h"

#include "core/error.h"
#include "core/strings.h"

namespace softvit {

// Each defined in its source's own file.
SourceKind idx_source_kind();
SourceKind npz_source_kind();
SourceKind folder_source_kind();
SourceKind csv_source_kind();
SourceKind synthetic_source_kind();
SourceKind webdataset_source_kind();

namespace {

const std::vector<SourceKind>& registry() {
  static const std::vector<SourceKind> kinds = {
      idx_source_kind(), npz_source_kind(),       folder_source_kind(),
      csv_source_kind(), synthetic_source_kind(), webdataset_source_kind(),
  };
  return kinds;
}

}  // namespace

const SourceKind& source_kind(const std::string& name) {
  for (const auto& kind : registry())
    if (kind.name == name) return kind;
  throw ConfigError(cat("unknown data.source '", name, "' (known: ", join(source_kinds(), ", "), ")"));
}

std::vector<std::string> source_kinds() {
  std::vector<std::string> names;
  for (const auto& kind : registry()) names.push_back(kind.name);
  return names;
}

}  // namespace softvit
