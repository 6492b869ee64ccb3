#include "data/sources/image_list_source.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "core/strings.h"
#include "data/sources/csv_source.h"

namespace softvit {
namespace fs = std::filesystem;
namespace {

std::vector<std::string> folder_images(const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir))
    if (entry.is_regular_file() && is_image_file(entry.path().string()))
      files.push_back(entry.path().string());
  std::sort(files.begin(), files.end());
  if (files.empty()) throw DataError(cat("folder '", dir, "' holds no image files"));
  return files;
}

std::vector<std::string> manifest_images(const std::string& manifest, const std::string& path_column) {
  std::ifstream in(manifest, std::ios::binary);
  if (!in) throw DataError(cat("manifest '", manifest, "' cannot be read"));
  std::stringstream text;
  text << in.rdbuf();
  const std::vector<CsvRow> rows = parse_csv(text.str());
  if (rows.empty()) throw DataError(cat(manifest, ": empty manifest (expected a header row)"));
  const auto& header = rows[0].fields;
  const auto column = std::find(header.begin(), header.end(), path_column);
  if (column == header.end())
    throw DataError(cat(manifest, ": no column '", path_column,
                        "' (--path-column); the columns are: ", join(header, ", ")));
  const auto c = static_cast<size_t>(column - header.begin());
  const fs::path base = fs::path(manifest).parent_path();
  std::vector<std::string> files;
  for (size_t r = 1; r < rows.size(); ++r) {
    if (rows[r].fields.size() <= c || rows[r].fields[c].empty())
      throw DataError(cat(manifest, ":", rows[r].line, ": no image path in column '", path_column, "'"));
    const fs::path p(rows[r].fields[c]);
    files.push_back(p.is_absolute() ? p.string() : (base / p).string());
  }
  if (files.empty()) throw DataError(cat(manifest, ": no rows"));
  return files;
}

}  // namespace

ImageListSource::ImageListSource(std::vector<std::string> files, std::vector<std::string> classes,
                                 int channels)
    : files_(std::move(files)), classes_(std::move(classes)), channels_(channels) {}

std::vector<std::string> list_input_images(const std::vector<std::string>& inputs,
                                           const std::string& path_column) {
  if (inputs.empty()) throw DataError("no input images given");
  if (inputs.size() == 1 && fs::is_directory(inputs[0])) return folder_images(inputs[0]);
  if (inputs.size() == 1 && fs::path(inputs[0]).extension() == ".csv")
    return manifest_images(inputs[0], path_column);
  return inputs;  // files one by one; one that cannot be read is reported when it is loaded
}

}  // namespace softvit
