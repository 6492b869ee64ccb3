// The MNIST family (IDX files, optionally gzip) as an in-memory source.
#pragma once
#include "core/config/data_section.h"
#include "data/sources/source.h"

namespace softvit {

// Loads `split` from data.root; keeps the first `limit` samples when limit > 0. Class names:
// data.classes, else Fashion-MNIST's when the folder is Fashion-MNIST, else "0".."9" or more.
SourcePtr make_idx_source(const DataSection& data, const std::string& split, int64_t limit);

}  // namespace softvit
