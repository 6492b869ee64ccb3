// MedMNIST-style .npz archives (zip of .npy arrays {split}_images, {split}_labels), read with
// libzip into memory: images N x H x W or N x H x W x 3 (uint8), labels N x 1 or N x L.
#pragma once
#include <map>

#include "core/config/data_section.h"
#include "data/sources/source.h"
#include "data/sources/zip_members.h"

namespace softvit {

// Whether the archive at `path` holds the arrays of `split` ({split}_images); false when it
// cannot be opened.
bool npz_has_split(const std::string& path, const std::string& split);

// The source for `split` of the archive data.root. Class names: data.classes, else "0".."K-1".
SourcePtr make_npz_source(const DataSection& data, const std::string& split, int64_t limit);

}  // namespace softvit
