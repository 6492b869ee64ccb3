#include "data/idx.h"

#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <memory>

#include "core/error.h"
#include "core/strings.h"

namespace softvit {
namespace {

constexpr size_t kFirstChunk = size_t(1) << 20;

struct GzCloser {
  void operator()(gzFile_s* f) const { gzclose(f); }
};

// Reads exactly `size` bytes; returns how many were read before the file ended.
size_t read_fully(gzFile file, uint8_t* out, size_t size, const std::string& path) {
  size_t done = 0;
  while (done < size) {
    const unsigned chunk = static_cast<unsigned>(std::min<size_t>(size - done, 1u << 30));
    const int got = gzread(file, out + done, chunk);
    if (got < 0) {
      int code = 0;
      throw DataError(cat("cannot read '", path, "': ", gzerror(file, &code)));
    }
    if (got == 0) break;
    done += static_cast<size_t>(got);
  }
  return done;
}

}  // namespace

IdxArray read_idx(const std::string& path) {
  if (!std::filesystem::exists(path)) throw DataError(cat("dataset file '", path, "' does not exist"));
  std::unique_ptr<gzFile_s, GzCloser> file(gzopen(path.c_str(), "rb"));
  if (!file) throw DataError(cat("cannot open dataset file '", path, "'"));

  uint8_t magic[4];
  if (read_fully(file.get(), magic, 4, path) != 4)
    throw DataError(cat("'", path, "' is truncated: no IDX header"));
  if (magic[0] != 0 || magic[1] != 0)
    throw DataError(cat("'", path, "' is not an IDX file (bad magic number)"));
  if (magic[2] != 0x08)
    throw DataError(cat("'", path, "' holds IDX type 0x", std::hex, int(magic[2]),
                        ", only unsigned bytes (0x08) are supported"));
  const int dims = magic[3];
  if (dims < 1 || dims > 4) throw DataError(cat("'", path, "' declares ", dims, " dimensions"));

  IdxArray array;
  size_t total = 1;
  for (int d = 0; d < dims; ++d) {
    uint8_t b[4];
    if (read_fully(file.get(), b, 4, path) != 4)
      throw DataError(cat("'", path, "' is truncated inside its header"));
    const int64_t n = (int64_t(b[0]) << 24) | (int64_t(b[1]) << 16) | (int64_t(b[2]) << 8) | b[3];
    array.shape.push_back(n);
    if (__builtin_mul_overflow(total, static_cast<size_t>(n), &total))
      throw DataError(cat("'", path, "' declares a shape too large to address"));
  }
  // The header's size is only a claim (a gzip file's real size is unknown until it is read): the
  // buffer grows with the bytes that arrive, at most doubling, so that a header promising 2^40
  // bytes costs no more memory than the file holds.
  size_t got = 0;
  while (got < total) {
    const size_t want = std::min(total - got, std::max(kFirstChunk, got));
    array.data.resize(got + want);
    const size_t chunk = read_fully(file.get(), array.data.data() + got, want, path);
    got += chunk;
    if (chunk != want)
      throw DataError(cat("'", path, "' is truncated: its header promises ", total,
                          " bytes of data, the file has ", got));
  }
  return array;
}

std::string find_idx_file(const std::string& root, const std::string& split, const std::string& kind) {
  namespace fs = std::filesystem;
  const std::string prefix = split == "test" ? "t10k" : split;
  const std::string stem = prefix + "-" + kind + (kind == "images" ? "-idx3-ubyte" : "-idx1-ubyte");
  for (const auto& name : {stem + ".gz", stem})
    if (fs::exists(fs::path(root) / name)) return (fs::path(root) / name).string();
  if (!fs::exists(root)) throw DataError(cat("dataset folder '", root, "' (data.root) does not exist"));
  throw DataError(cat("dataset folder '", root, "' has no ", stem, "[.gz] for split '", split, "'"));
}

const std::vector<std::string>& fashion_mnist_classes() {
  static const std::vector<std::string> names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                 "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return names;
}

}  // namespace softvit
