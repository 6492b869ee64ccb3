#include "data/sources/folder_source.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>

#include "core/error.h"
#include "core/strings.h"
#include "data/sources/source_registry.h"
#include "log/log.h"

namespace softvit {
namespace fs = std::filesystem;
namespace {

// Image formats people keep in dataset folders that the decoder cannot read: they are left out,
// but said so rather than skipped silently. nullptr: not such a format. (DICOM is read: data/dicom;
// in a build without it, reading a .dcm file is an error that says so.)
const char* unread_format_reason(const fs::path& file) {
  std::string ext = file.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  if (ext == ".gif") return "GIF is not among the formats OpenCV decodes here: convert to PNG";
  return nullptr;
}

// Once per split folder and process: a split's source may be built more than once (classes first).
void warn_once(const std::string& split_dir, const std::string& message) {
  static std::mutex mutex;
  static std::set<std::string> warned;
  const std::lock_guard<std::mutex> lock(mutex);
  if (warned.insert(split_dir).second) log::warn(message);
}

}  // namespace

FolderSource::FolderSource(const std::string& split_dir, const std::vector<std::string>& classes,
                           bool skip_bad, int64_t limit, bool every_class_present) {
  if (!fs::is_directory(split_dir)) throw DataError(cat("dataset folder '", split_dir, "' does not exist"));
  std::vector<std::string> found;
  for (const auto& entry : fs::directory_iterator(split_dir))
    if (entry.is_directory()) found.push_back(entry.path().filename().string());
  std::sort(found.begin(), found.end());
  classes_ = classes.empty() ? found : classes;
  if (classes_.empty()) throw DataError(cat("dataset folder '", split_dir, "' has no class subfolders"));
  for (const auto& name : found)
    if (std::find(classes_.begin(), classes_.end(), name) == classes_.end())
      report_problem(skip_bad, problems_, (fs::path(split_dir) / name).string(),
                     "class folder is not one of the classes given (data.classes, or the model's): it "
                     "would have no label");

  struct Unread {
    int64_t count = 0;
    std::string example;
  };
  std::map<std::string, Unread> unread;  // by reason
  for (size_t c = 0; c < classes_.size(); ++c) {
    const fs::path dir = fs::path(split_dir) / classes_[c];
    std::vector<std::string> files;
    int64_t unread_here = 0;
    if (fs::is_directory(dir))
      for (const auto& entry : fs::recursive_directory_iterator(dir)) {
        if (!entry.is_regular_file()) continue;
        if (is_image_file(entry.path().string())) {
          files.push_back(entry.path().string());
        } else if (const char* reason = unread_format_reason(entry.path())) {
          ++unread_here;
          Unread& u = unread[reason];
          if (u.count++ == 0 || entry.path().string() < u.example) u.example = entry.path().string();
        }
      }
    if (files.empty()) {
      if (every_class_present)
        report_problem(skip_bad, problems_, dir.string(),
                       unread_here > 0 ? cat("class folder has no image files softvit reads (", unread_here,
                                             " GIF files, which it does not read)")
                                       : std::string("class folder is empty or missing (no image files)"));
      continue;
    }
    std::sort(files.begin(), files.end());
    for (auto& f : files) {
      files_.push_back(std::move(f));
      labels_.push_back(static_cast<int64_t>(c));
    }
  }
  for (const auto& [reason, u] : unread)
    unread_notes_.push_back(
        cat(u.count, " file", u.count == 1 ? "" : "s", " left out (", reason, "), e.g. '", u.example, "'"));
  if (!unread_notes_.empty())
    warn_once(split_dir, cat("dataset folder '", split_dir, "': ", join(unread_notes_, "; ")));
  if (limit > 0 && limit < size()) {
    // Keep a spread over all classes rather than the first class only: every k-th file.
    std::vector<std::string> files;
    std::vector<int64_t> labels;
    for (int64_t i = 0; i < limit; ++i) {
      const auto k = static_cast<size_t>(i * size() / limit);
      files.push_back(files_[k]);
      labels.push_back(labels_[k]);
    }
    files_ = std::move(files);
    labels_ = std::move(labels);
  }
}

std::string folder_split_dir(const DataSection& data, const std::string& split) {
  return (fs::path(data.root) / split).string();
}

SourcePtr make_folder_source(const DataSection& data, const std::string& split, int64_t limit) {
  return std::make_shared<FolderSource>(folder_split_dir(data, split), data.classes, data.on_error == "skip",
                                        limit);
}

SourceKind folder_source_kind() {
  SourceKind kind;
  kind.name = "folder";
  kind.open = make_folder_source;
  kind.has_split = [](const DataSection& data, const std::string& split) {
    return fs::is_directory(folder_split_dir(data, split));
  };
  // An evaluation split may lack some of the model's classes (no folder of them).
  kind.open_with_classes = [](const DataSection& data, const std::string& split,
                              const std::vector<std::string>& classes, int64_t limit) -> SourcePtr {
    return std::make_shared<FolderSource>(folder_split_dir(data, split), classes, data.on_error == "skip",
                                          limit, /*every_class_present=*/false);
  };
  kind.labels_are_names = true;
  return kind;
}

}  // namespace softvit
