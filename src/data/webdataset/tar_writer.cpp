#include "data/webdataset/tar_writer.h"

#include <archive.h>
#include <archive_entry.h>

#include <cstdio>
#include <filesystem>

#include "core/error.h"
#include "core/strings.h"

namespace softvit {

TarWriter::TarWriter(const std::string& path, bool gzip)
    : path_(path), temporary_(path + ".tmp"), archive_(archive_write_new()) {
  if (!archive_) throw DataError(cat(path, ": libarchive cannot allocate a writer"));
  archive_write_set_format_pax_restricted(archive_);
  if (gzip) {
    archive_write_add_filter_gzip(archive_);
    archive_write_set_filter_option(archive_, "gzip", "timestamp", nullptr);  // reproducible bytes
  }
  if (archive_write_open_filename(archive_, temporary_.c_str()) != ARCHIVE_OK) fail("cannot create");
}

TarWriter::~TarWriter() {
  if (!archive_) return;
  archive_write_free(archive_);  // closes too; the unfinished file goes
  std::error_code ignored;
  std::filesystem::remove(temporary_, ignored);
}

void TarWriter::fail(const std::string& what) const {
  const char* why = archive_ ? archive_error_string(archive_) : nullptr;
  throw DataError(cat(path_, ": ", what, why ? cat(": ", why) : std::string()));
}

void TarWriter::add(const std::string& name, const std::vector<uint8_t>& bytes) {
  archive_entry* entry = archive_entry_new();
  archive_entry_set_pathname(entry, name.c_str());
  archive_entry_set_size(entry, static_cast<la_int64_t>(bytes.size()));
  archive_entry_set_filetype(entry, AE_IFREG);
  archive_entry_set_perm(entry, 0644);
  archive_entry_set_mtime(entry, 0, 0);
  archive_entry_set_uid(entry, 0);
  archive_entry_set_gid(entry, 0);
  const int status = archive_write_header(archive_, entry);
  archive_entry_free(entry);
  if (status != ARCHIVE_OK) fail(cat("cannot write the header of ", name));
  if (!bytes.empty() &&
      archive_write_data(archive_, bytes.data(), bytes.size()) != static_cast<la_ssize_t>(bytes.size()))
    fail(cat("cannot write ", name));
}

void TarWriter::close() {
  if (archive_write_close(archive_) != ARCHIVE_OK) fail("cannot finish");
  archive_write_free(archive_);
  archive_ = nullptr;
  std::error_code error;
  std::filesystem::rename(temporary_, path_, error);
  if (error) throw DataError(cat(path_, ": cannot rename ", temporary_, " into place: ", error.message()));
}

}  // namespace softvit
