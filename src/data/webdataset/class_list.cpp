#include "data/webdataset/class_list.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/strings.h"

namespace softvit {
namespace {

std::string extension_of(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

std::vector<std::string> from_table(const std::string& path, const std::vector<std::string>& lines,
                                    char sep) {
  if (lines.empty()) throw DataError(cat(path, ": empty; expected a header row and one row per class"));
  const auto header = split(lines[0], sep);
  const auto name_at = std::find(header.begin(), header.end(), "name");
  const auto index_at = std::find(header.begin(), header.end(), "index");
  const size_t name_column = name_at != header.end() ? name_at - header.begin() : header.size() - 1;
  std::vector<std::string> names;
  for (size_t row = 1; row < lines.size(); ++row) {
    const auto cells = split(lines[row], sep);
    if (cells.size() != header.size())
      throw DataError(
          cat(path, ":", row + 1, ": ", cells.size(), " columns, the header has ", header.size()));
    if (index_at != header.end() && cells[index_at - header.begin()] != std::to_string(row - 1))
      throw DataError(cat(path, ":", row + 1, ": index '", cells[index_at - header.begin()], "', expected ",
                          row - 1, " (rows in label order)"));
    names.push_back(cells[name_column]);
  }
  return names;
}

}  // namespace

std::vector<std::string> read_class_list(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(cat("class list ", path, " cannot be read"));
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string ext = extension_of(path);
  std::vector<std::string> names;
  if (ext == ".json") {
    const auto json = nlohmann::json::parse(buffer.str(), nullptr, /*allow_exceptions=*/false);
    if (json.is_discarded() || !json.is_array())
      throw DataError(cat(path, ": expected a JSON list of class names"));
    for (const auto& name : json) {
      if (!name.is_string()) throw DataError(cat(path, ": expected a JSON list of class names (strings)"));
      names.push_back(name.get<std::string>());
    }
  } else if (ext == ".tsv" || ext == ".csv") {
    names = from_table(path, lines_of(buffer.str()), ext == ".tsv" ? '\t' : ',');
  } else {
    names = lines_of(buffer.str());
  }
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i].empty()) throw DataError(cat(path, ": class ", i, " has an empty name"));
  if (names.empty()) throw DataError(cat(path, ": holds no class names"));
  return names;
}

void write_class_list(const std::string& path, const std::vector<std::string>& classes) {
  std::string text;
  for (const auto& name : classes) text += name + "\n";
  write_file_atomic(path, text);
}

}  // namespace softvit
