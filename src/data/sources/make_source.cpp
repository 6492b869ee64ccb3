#include "data/sources/make_source.h"

#include <algorithm>
#include <filesystem>

#include "core/error.h"
#include "core/strings.h"
#include "data/sources/holdout_source.h"
#include "data/sources/source_registry.h"

namespace softvit {
namespace {

bool is_holdout_part(const DataSection& data, const std::string& split) {
  return data.val_fraction > 0 && (split == kHoldOutSplit || split == data.train_split);
}

}  // namespace

SourcePtr make_source(const DataSection& data, const std::string& split, int64_t limit) {
  if (is_holdout_part(data, split)) return make_source_for_classes(data, split, {}, limit);
  const SourceKind& kind = source_kind(data.source);
  if (kind.streamed)
    throw ConfigError(cat("data.source ", kind.name,
                          " is a stream of shards: it is read by the loader (make_loader), not as a "
                          "random-access source"));
  return kind.open(data, split, limit);
}

bool split_exists(const DataSection& data, const std::string& split) {
  return source_kind(data.source).has_split(data, split);
}

namespace {

bool is_index(const std::string& name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::vector<std::string> evaluation_class_order(const DataSection& data, const std::string& split,
                                                const std::vector<std::string>& model_classes) {
  for (size_t c = 0; c < model_classes.size(); ++c)
    if (model_classes[c] != std::to_string(c)) return model_classes;  // named classes
  const size_t n = model_classes.size();
  const auto must_number_n = [&](const std::vector<std::string>& names, const std::string& what) {
    if (names.size() != n)
      throw DataError(cat("the model's ", n, " classes have no names, so ", what,
                          " gives their order, but it has ", names.size(), ": list the ", n,
                          " class names in label order in data.classes"));
    return names;
  };
  if (!data.classes.empty()) return must_number_n(data.classes, "data.classes");
  if (!source_kind(data.source).labels_are_names) return model_classes;  // labels are indices
  const auto own = make_source(data, split)->classes();
  if (std::all_of(own.begin(), own.end(), is_index)) return model_classes;
  return must_number_n(own, cat("split '", split, "' (its sorted class names)"));
}

SourcePtr make_source_for_classes(const DataSection& data, const std::string& split,
                                  const std::vector<std::string>& model_classes, int64_t limit) {
  if (is_holdout_part(data, split)) {  // both parts labelled as the whole training split is
    DataSection whole = data;
    whole.val_fraction = 0;
    return holdout_part(make_source_for_classes(whole, data.train_split, model_classes), data.val_fraction,
                        static_cast<uint64_t>(data.val_seed), split == kHoldOutSplit, limit);
  }
  if (model_classes.empty()) return make_source(data, split, limit);
  if (const SourceKind& kind = source_kind(data.source); kind.open_with_classes)
    return kind.open_with_classes(data, split, model_classes, limit);
  DataSection labelled = data;
  labelled.classes = model_classes;  // csv: names map to these indices; arrays: labels checked in range
  return make_source(labelled, split, limit);
}

}  // namespace softvit
