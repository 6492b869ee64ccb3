// The byte-level half of the safetensors reader, without torch: the 8-byte header length and the
// JSON header, checked against the file's size before anything is allocated for the data. Kept
// apart from safetensors.cpp so that it can be fuzzed and sanitizer-tested without LibTorch
// (tests/fuzz).
#pragma once
#include <cstdint>
#include <istream>
#include <map>
#include <string>
#include <vector>

namespace softvit {

// One tensor as the header describes it; offsets are relative to the start of the data.
struct SafetensorsEntry {
  std::string name;
  std::string dtype;  // the format's name: "F32", "BF16", ...
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;  // end - begin == element size * product of shape, checked
};

struct SafetensorsHeader {
  std::vector<SafetensorsEntry> entries;
  std::map<std::string, std::string> metadata;
  uint64_t data_start = 0;  // file offset of the data: 8 + header length
};

// Reads the header from `in` (at the file's first byte) of a file of `file_size` bytes named
// `path`. Checks everything a damaged or hostile header can get wrong (length past the end,
// invalid JSON, unknown dtype, shape and offsets that disagree or overflow, overlapping tensors,
// bytes no tensor owns) and throws DataError naming the file and the tensor.
SafetensorsHeader read_safetensors_header(std::istream& in, uint64_t file_size, const std::string& path);

// The dtypes the format names, with their element sizes in bytes (0 for a name it does not have).
const std::vector<std::string>& safetensors_dtypes();
uint64_t safetensors_element_size(const std::string& dtype);

// The DataError every safetensors problem is: "safetensors file 'PATH': WHAT".
[[noreturn]] void throw_safetensors_error(const std::string& path, const std::string& what);

}  // namespace softvit
