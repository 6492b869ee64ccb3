// The members of a zip archive (an .npz) in memory, through libzip; apart from the npz source so
// that it builds (and is fuzzed, see tests/fuzz) without LibTorch.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace softvit {

// Every member of the archive at `path`, by name without ".npy". Throws DataError naming the
// file when it is missing, not a zip, or a member cannot be read.
std::map<std::string, std::vector<uint8_t>> read_zip_members(const std::string& path);

}  // namespace softvit
