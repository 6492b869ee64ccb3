// CSV text to rows of fields, apart from the CSV source so that it builds (and is fuzzed, see
// tests/fuzz) without LibTorch.
#pragma once
#include <string>
#include <vector>

namespace softvit {

// Splits CSV text into rows of fields (RFC 4180: quotes, doubled quotes, CRLF; a leading UTF-8
// byte-order mark is dropped). Each row keeps its 1-based line number for messages.
struct CsvRow {
  int line = 0;
  std::vector<std::string> fields;
};
std::vector<CsvRow> parse_csv(const std::string& text);

}  // namespace softvit
