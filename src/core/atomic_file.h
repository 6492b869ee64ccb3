// Files that are either wholly old or wholly new: a crash never leaves half a checkpoint.
#pragma once
#include <string>

namespace softvit {

// Writes `size` bytes to `path` through a temporary file in the same folder: write, fsync,
// rename over `path`, fsync the folder. Throws Error naming the path on any failure.
void write_file_atomic(const std::string& path, const void* data, size_t size);
inline void write_file_atomic(const std::string& path, const std::string& text) {
  write_file_atomic(path, text.data(), text.size());
}

std::string read_file(const std::string& path);

}  // namespace softvit
