// A .tar or .tar.gz file written member by member through libarchive (POSIX ustar/pax, files
// 0644 owned by 0:0 with time 0, and no time in the gzip header, so that the same members give
// the same bytes). Written to PATH.tmp and renamed into place by close().
#pragma once
#include <cstdint>
#include <string>
#include <vector>

struct archive;

namespace softvit {

class TarWriter {
 public:
  // Throws DataError naming the file when it cannot be created.
  TarWriter(const std::string& path, bool gzip);
  ~TarWriter();  // without close(): the partial file is removed
  TarWriter(const TarWriter&) = delete;
  TarWriter& operator=(const TarWriter&) = delete;

  void add(const std::string& name, const std::vector<uint8_t>& bytes);
  void close();

  // Bytes a member of `size` bytes takes in the (uncompressed) archive: header and padded data.
  static int64_t member_bytes(int64_t size) { return 512 + (size + 511) / 512 * 512; }

 private:
  [[noreturn]] void fail(const std::string& what) const;

  std::string path_, temporary_;
  archive* archive_ = nullptr;
};

}  // namespace softvit
