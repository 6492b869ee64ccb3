#include "data/sources/zip_members.h"

#include <zip.h>

#include <algorithm>
#include <filesystem>
#include <memory>

#include "core/error.h"
#include "core/strings.h"

namespace softvit {
namespace {

constexpr zip_uint64_t kFirstChunk = zip_uint64_t(1) << 20;

struct ZipCloser {
  void operator()(zip_t* z) const { zip_discard(z); }
};
struct ZipFileCloser {
  void operator()(zip_file_t* f) const { zip_fclose(f); }
};

std::string strip_npy(const std::string& name) {
  return name.size() > 4 && name.substr(name.size() - 4) == ".npy" ? name.substr(0, name.size() - 4) : name;
}

}  // namespace

std::map<std::string, std::vector<uint8_t>> read_zip_members(const std::string& path) {
  if (!std::filesystem::exists(path))
    throw DataError(cat("dataset file '", path, "' (data.root) does not exist"));
  int code = 0;
  std::unique_ptr<zip_t, ZipCloser> archive(zip_open(path.c_str(), ZIP_RDONLY, &code));
  if (!archive) {
    zip_error_t error;
    zip_error_init_with_code(&error, code);
    const std::string message = zip_error_strerror(&error);
    zip_error_fini(&error);
    throw DataError(cat("'", path, "' is not a readable .npz (zip) archive: ", message));
  }
  std::map<std::string, std::vector<uint8_t>> members;
  const zip_int64_t count = zip_get_num_entries(archive.get(), 0);
  for (zip_int64_t i = 0; i < count; ++i) {
    zip_stat_t stat;
    if (zip_stat_index(archive.get(), static_cast<zip_uint64_t>(i), 0, &stat) != 0 ||
        !(stat.valid & ZIP_STAT_SIZE))
      throw DataError(cat("'", path, "': cannot read entry ", i, ": ", zip_strerror(archive.get())));
    const std::string name = stat.name;
    std::unique_ptr<zip_file_t, ZipFileCloser> file(
        zip_fopen_index(archive.get(), static_cast<zip_uint64_t>(i), 0));
    if (!file)
      throw DataError(cat("'", path, "': cannot open member ", name, ": ", zip_strerror(archive.get())));
    // The size is the archive's claim: the buffer grows with the bytes that arrive, at most
    // doubling, so that a directory entry claiming terabytes costs no more than the member holds.
    std::vector<uint8_t> bytes;
    zip_uint64_t done = 0;
    while (done < stat.size) {
      const zip_uint64_t want =
          std::min<zip_uint64_t>(stat.size - done, std::max<zip_uint64_t>(kFirstChunk, done));
      bytes.resize(static_cast<size_t>(done + want));
      const zip_int64_t got = zip_fread(file.get(), bytes.data() + done, want);
      if (got < 0)
        throw DataError(cat("'", path, "': member ", name, " is corrupt: ", zip_file_strerror(file.get())));
      if (got == 0) break;
      done += static_cast<zip_uint64_t>(got);
    }
    bytes.resize(static_cast<size_t>(done));
    if (done != stat.size) throw DataError(cat("'", path, "': member ", name, " is truncated"));
    members[strip_npy(name)] = std::move(bytes);
  }
  return members;
}

}  // namespace softvit
