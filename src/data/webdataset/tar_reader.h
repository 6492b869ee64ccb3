// A .tar or .tar.gz file read member by member through libarchive, as a stream: nothing is
// extracted, and a member's bytes are read only when asked for (headers alone are cheap on a
// plain .tar, where libarchive seeks over the data).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

struct archive;

namespace softvit {

struct TarMember {
  std::string name;  // path inside the archive
  int64_t size = 0;
};

class TarReader {
 public:
  // Throws DataError naming the file when it cannot be opened or is not a tar archive.
  explicit TarReader(const std::string& path);
  ~TarReader();
  TarReader(const TarReader&) = delete;
  TarReader& operator=(const TarReader&) = delete;

  // The next regular file (directories and links are passed over); false at the end of the
  // archive. Throws DataError naming the file when the archive is corrupt or truncated.
  bool next(TarMember& member);
  // The bytes of the member next() returned last (at most once per member).
  std::vector<uint8_t> read();

  const std::string& path() const { return path_; }

 private:
  [[noreturn]] void fail(const std::string& what) const;

  std::string path_;
  archive* archive_ = nullptr;
  std::string member_;
  int64_t size_ = 0;
  bool at_end_ = false;
};

}  // namespace softvit
