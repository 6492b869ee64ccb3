// The source data.source names, for one split.
#pragma once
#include "core/config.h"
#include "data/sources/source.h"

namespace softvit {

// Keeps `limit` samples when limit > 0. Throws ConfigError for an unknown source and DataError
// for missing or malformed data (or records the problem under data.on_error: skip).
SourcePtr make_source(const DataSection& data, const std::string& split, int64_t limit = 0);

}  // namespace softvit
