#include "data/sources/csv_parse.h"

namespace softvit {

std::vector<CsvRow> parse_csv(const std::string& text) {
  std::vector<CsvRow> rows;
  CsvRow row;
  std::string field;
  bool quoted = false, any = false;
  int line = 1;
  row.line = 1;
  // Excel's "CSV UTF-8" starts with a byte-order mark, which would become part of the first name.
  const size_t start = text.rfind("\xEF\xBB\xBF", 0) == 0 ? 3 : 0;
  for (size_t i = start; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        if (c == '\n') ++line;
        field += c;
      }
    } else if (c == '"') {
      quoted = any = true;
    } else if (c == ',') {
      row.fields.push_back(field);
      field.clear();
      any = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      if (any || !field.empty()) {
        row.fields.push_back(field);
        rows.push_back(row);
      }
      row = CsvRow();
      row.line = ++line;
      field.clear();
      any = false;
    } else {
      field += c;
    }
  }
  if (any || !field.empty()) {
    row.fields.push_back(field);
    rows.push_back(row);
  }
  return rows;
}

}  // namespace softvit
