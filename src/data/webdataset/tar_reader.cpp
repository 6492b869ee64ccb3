#include "data/webdataset/tar_reader.h"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>

#include "core/error.h"
#include "core/strings.h"

namespace softvit {

constexpr size_t kReadBlock = 1 << 16;

TarReader::TarReader(const std::string& path) : path_(path), archive_(archive_read_new()) {
  if (!archive_) throw DataError(cat(path, ": libarchive cannot allocate a reader"));
  archive_read_support_filter_gzip(archive_);
  archive_read_support_format_tar(archive_);
  if (archive_read_open_filename(archive_, path.c_str(), kReadBlock) != ARCHIVE_OK) {
    const std::string why = archive_error_string(archive_) ? archive_error_string(archive_) : "cannot open";
    archive_read_free(archive_);
    archive_ = nullptr;
    throw DataError(cat(path, ": ", why));
  }
}

TarReader::~TarReader() {
  if (archive_) archive_read_free(archive_);
}

void TarReader::fail(const std::string& what) const {
  const char* why = archive_error_string(archive_);
  throw DataError(cat(path_, ": ", what, ": ", why ? why : "unreadable archive"));
}

bool TarReader::next(TarMember& member) {
  while (!at_end_) {
    archive_entry* entry = nullptr;
    const int status = archive_read_next_header(archive_, &entry);
    if (status == ARCHIVE_EOF) break;
    if (status == ARCHIVE_RETRY) continue;
    if (status < ARCHIVE_WARN)
      fail(member_.empty() ? std::string("cannot read the archive") : cat("broken after member ", member_));
    member_ = archive_entry_pathname(entry) ? archive_entry_pathname(entry) : "";
    if (archive_entry_filetype(entry) != AE_IFREG) continue;
    member.name = member_;
    member.size = size_ = archive_entry_size_is_set(entry) ? archive_entry_size(entry) : 0;
    return true;
  }
  at_end_ = true;  // libarchive must not be asked again
  return false;
}

std::vector<uint8_t> TarReader::read() {
  std::vector<uint8_t> bytes(static_cast<size_t>(std::max<int64_t>(size_, 0)));
  size_t filled = 0;
  while (filled < bytes.size()) {
    const la_ssize_t n = archive_read_data(archive_, bytes.data() + filled, bytes.size() - filled);
    if (n < 0) fail(cat("cannot read member ", member_));
    if (n == 0) fail(cat("member ", member_, " ends after ", filled, " of ", bytes.size(), " bytes"));
    filled += static_cast<size_t>(n);
  }
  return bytes;
}

}  // namespace softvit
