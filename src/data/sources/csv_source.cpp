#include "data/sources/csv_source.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/strings.h"
#include "data/sources/index_classes.h"
#include "data/sources/source_registry.h"

namespace softvit {
namespace fs = std::filesystem;
namespace {

// The class names for a message: all of them, or the first ten and how many more.
std::string class_list(const std::vector<std::string>& classes) {
  const size_t shown = std::min<size_t>(classes.size(), 10);
  std::string text = join(std::vector<std::string>(classes.begin(), classes.begin() + shown), ", ");
  if (shown < classes.size()) text += cat(", ... ", classes.size() - shown, " more");
  return text;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  const auto e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

bool parse_index(const std::string& text, int64_t& out) {
  if (text.empty() || !std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); }))
    return false;
  try {
    out = std::stoll(text);
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

int column_of(const std::vector<std::string>& header, const std::string& name, const std::string& key,
              const std::string& file) {
  const auto it = std::find(header.begin(), header.end(), name);
  if (it == header.end())
    throw DataError(cat(file, ": no column '", name, "' (", key, "); the columns are: ", join(header, ", ")));
  return static_cast<int>(it - header.begin());
}

std::string manifest_template(const DataSection& data) {
  return data.manifest.empty() ? "{split}.csv" : data.manifest;
}

fs::path manifest_path(const DataSection& data, const std::string& split) {
  std::string manifest = manifest_template(data);
  if (const auto at = manifest.find("{split}"); at != std::string::npos) manifest.replace(at, 7, split);
  return fs::path(manifest).is_absolute() ? fs::path(manifest) : fs::path(data.root) / manifest;
}

// The manifest's rows (the header first), or a DataError naming it.
std::vector<CsvRow> read_manifest(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(cat("manifest '", path.string(), "' (data.manifest) cannot be read"));
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::vector<CsvRow> rows = parse_csv(buffer.str());
  if (rows.empty()) throw DataError(cat(path.string(), ": empty manifest (expected a header row)"));
  return rows;
}

}  // namespace

bool csv_has_split(const DataSection& data, const std::string& split) {
  const fs::path path = manifest_path(data, split);
  if (data.csv_split_column.empty())
    return manifest_template(data).find("{split}") != std::string::npos && fs::exists(path);
  if (!fs::exists(path)) return false;
  const std::vector<CsvRow> rows = read_manifest(path);
  std::vector<std::string> header;
  for (const auto& h : rows[0].fields) header.push_back(trim(h));
  const int column = column_of(header, data.csv_split_column, "data.csv_split_column", path.string());
  return std::any_of(rows.begin() + 1, rows.end(), [&](const CsvRow& row) {
    return static_cast<int>(row.fields.size()) > column && trim(row.fields[column]) == split;
  });
}

CsvSource::CsvSource(const DataSection& data, const std::string& split, int64_t limit) {
  const fs::path path = manifest_path(data, split);
  const std::string file = path.string();
  const std::vector<CsvRow> rows = read_manifest(path);
  std::vector<std::string> header;
  for (const auto& h : rows[0].fields) header.push_back(trim(h));

  const bool skip = data.on_error == "skip";
  multi_ = !data.csv_label_columns.empty();
  const int path_col = column_of(header, data.csv_path_column, "data.csv_path_column", file);
  const int split_col = data.csv_split_column.empty()
                            ? -1
                            : column_of(header, data.csv_split_column, "data.csv_split_column", file);
  std::vector<int> label_cols;
  if (multi_)
    for (const auto& name : data.csv_label_columns)
      label_cols.push_back(column_of(header, name, "data.csv_label_columns", file));
  else
    label_cols.push_back(column_of(header, data.csv_label_column, "data.csv_label_column", file));

  // First pass: keep well-formed rows of this split with their raw label text.
  struct Row {
    int line;
    std::string path;
    std::vector<std::string> labels;
  };
  std::vector<Row> kept;
  for (size_t r = 1; r < rows.size(); ++r) {
    const auto& fields = rows[r].fields;
    const std::string where = cat(file, ":", rows[r].line);
    if (fields.size() != header.size()) {
      report_problem(skip, problems_, where,
                     cat("row has ", fields.size(), " fields, the header ", header.size()));
      continue;
    }
    if (split_col >= 0 && trim(fields[split_col]) != split) continue;
    Row row{rows[r].line, trim(fields[path_col]), {}};
    for (int c : label_cols) row.labels.push_back(trim(fields[c]));
    if (row.path.empty()) {
      report_problem(skip, problems_, where, "empty image path");
      continue;
    }
    if (std::any_of(row.labels.begin(), row.labels.end(), [](const std::string& s) { return s.empty(); })) {
      report_problem(skip, problems_, where, "empty label");
      continue;
    }
    kept.push_back(std::move(row));
  }

  // Classes: explicit, else the label columns (multi-label), the indices 0..max, or sorted names.
  classes_ = data.classes;
  if (classes_.empty()) {
    if (multi_) {
      classes_ = data.csv_label_columns;
    } else {
      // Indices or names, not both: a typo among indices (or a number among names) would become a
      // class of its own.
      std::vector<int64_t> indices;
      std::set<std::string> names;
      size_t first_index = kept.size(), first_name = kept.size();
      for (size_t r = 0; r < kept.size(); ++r) {
        int64_t value = 0;
        if (parse_index(kept[r].labels[0], value)) {
          indices.push_back(value);
          first_index = std::min(first_index, r);
        } else {
          names.insert(kept[r].labels[0]);
          first_name = std::min(first_name, r);
        }
      }
      if (!indices.empty() && !names.empty()) {
        const bool mostly_indices = indices.size() >= kept.size() - indices.size();
        const auto& odd = kept[mostly_indices ? first_name : first_index];
        throw DataError(cat(file, ":", odd.line, ": label '", odd.labels[0], "' is ",
                            mostly_indices ? "not a class index" : "a number", " but ",
                            mostly_indices ? indices.size() : names.size(), " other labels are ",
                            mostly_indices ? "indices" : "names",
                            ": fix the label, or name every class in data.classes"));
      }
      if (names.empty())
        classes_ = index_classes(indices, 1, [&](size_t i) { return cat(file, ":", kept[i].line); });
      else
        classes_.assign(names.begin(), names.end());
    }
  }
  if (multi_ && classes_.size() != label_cols.size())
    throw DataError(cat(file, ": ", label_cols.size(), " label columns but ", classes_.size(),
                        " classes (data.classes)"));
  std::map<std::string, int64_t> class_index;
  for (size_t c = 0; c < classes_.size(); ++c) class_index[classes_[c]] = static_cast<int64_t>(c);

  for (const auto& row : kept) {
    if (limit > 0 && size() >= limit) break;
    const std::string where = cat(file, ":", row.line);
    if (multi_) {
      std::vector<uint8_t> values;
      for (const auto& text : row.labels) {
        if (text == "0" || text == "1" || text == "0.0" || text == "1.0")
          values.push_back(text[0] == '1' ? 1 : 0);
        else
          break;
      }
      if (values.size() != row.labels.size()) {
        report_problem(skip, problems_, where, "multi-label values must be 0 or 1");
        continue;
      }
      label_matrix_.insert(label_matrix_.end(), values.begin(), values.end());
    } else {
      int64_t y = -1;
      const std::string& text = row.labels[0];
      if (const auto it = class_index.find(text); it != class_index.end())
        y = it->second;
      else if (!parse_index(text, y) || y >= static_cast<int64_t>(classes_.size()))
        y = -1;
      if (y < 0) {
        report_problem(skip, problems_, where,
                       cat("label '", text, "' is out of range: not a class name (", class_list(classes_),
                           ") nor an index below ", classes_.size()));
        continue;
      }
      labels_.push_back(y);
    }
    const fs::path image(row.path);
    files_.push_back(image.is_absolute() ? image.string() : (fs::path(data.root) / image).string());
  }
}

std::vector<uint8_t> CsvSource::labels(int64_t i) const {
  if (!multi_) return {};
  const size_t width = classes_.size();
  const auto* row = label_matrix_.data() + static_cast<size_t>(i) * width;
  return {row, row + width};
}

SourceKind csv_source_kind() {
  SourceKind kind;
  kind.name = "csv";
  kind.open = [](const DataSection& data, const std::string& split, int64_t limit) -> SourcePtr {
    return std::make_shared<CsvSource>(data, split, limit);
  };
  kind.has_split = csv_has_split;
  kind.labels_are_names = true;
  return kind;
}

}  // namespace softvit
