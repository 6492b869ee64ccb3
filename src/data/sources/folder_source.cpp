#include "data/sources/folder_source.h"

#include <algorithm>
#include <filesystem>

#include "core/error.h"
#include "core/strings.h"

namespace softvit {
namespace fs = std::filesystem;

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

  for (size_t c = 0; c < classes_.size(); ++c) {
    const fs::path dir = fs::path(split_dir) / classes_[c];
    std::vector<std::string> files;
    if (fs::is_directory(dir))
      for (const auto& entry : fs::recursive_directory_iterator(dir))
        if (entry.is_regular_file() && is_image_file(entry.path().string()))
          files.push_back(entry.path().string());
    if (files.empty()) {
      if (every_class_present)
        report_problem(skip_bad, problems_, dir.string(),
                       "class folder is empty or missing (no image files)");
      continue;
    }
    std::sort(files.begin(), files.end());
    for (auto& f : files) {
      files_.push_back(std::move(f));
      labels_.push_back(static_cast<int64_t>(c));
    }
  }
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

}  // namespace softvit
