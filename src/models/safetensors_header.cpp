#include "models/safetensors_header.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <limits>
#include <set>
#include <tuple>

#include "core/error.h"
#include "core/strings.h"

namespace softvit {
namespace {

using nlohmann::json;

constexpr uint64_t kMaxHeaderBytes = 100'000'000;  // the limit of the reference implementation
constexpr const char* kMetadataKey = "__metadata__";
constexpr size_t kMaxQuotedChars = 120;

const std::vector<std::pair<std::string, uint64_t>>& dtype_sizes() {
  static const std::vector<std::pair<std::string, uint64_t>> table = {
      {"F64", 8},     {"F32", 4}, {"F16", 2}, {"BF16", 2}, {"F8_E4M3", 1},
      {"F8_E5M2", 1}, {"I64", 8}, {"I32", 4}, {"I16", 2},  {"I8", 1},
      {"U64", 8},     {"U32", 4}, {"U16", 2}, {"U8", 1},   {"BOOL", 1},
  };
  return table;
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::vector<std::string> dims;
  for (auto d : shape) dims.push_back(std::to_string(d));
  return "[" + join(dims, ", ") + "]";
}

// A JSON value as an error message quotes it. json::dump recurses once per nesting level, so a
// header of a few hundred kB of '[' overflowed the stack while the message was being written;
// a list of plain values is shown (shortened), anything nested only by its kind.
std::string quoted(const json& value) {
  if (value.is_structured())
    for (const auto& item : value)
      if (item.is_structured()) return value.is_array() ? "a nested list" : "a nested object";
  std::string text = value.dump();
  if (text.size() > kMaxQuotedChars) text = text.substr(0, kMaxQuotedChars) + "...";
  return text;
}

class HeaderReader {
 public:
  explicit HeaderReader(std::string path) : path_(std::move(path)) {}

  [[noreturn]] void fail(const std::string& what) const { throw_safetensors_error(path_, what); }
  [[noreturn]] void fail(const std::string& tensor, const std::string& what) const {
    fail(cat("tensor '", tensor, "' ", what));
  }

  SafetensorsHeader read(std::istream& in, uint64_t file_size) {
    if (!in) fail("cannot be read");
    if (file_size < 8) fail(cat("is ", file_size, " bytes long, too short for the 8-byte header length"));
    unsigned char size_bytes[8];
    in.read(reinterpret_cast<char*>(size_bytes), 8);
    if (!in) fail("cannot read the header length");
    uint64_t header_size = 0;
    for (int i = 7; i >= 0; --i) header_size = (header_size << 8) | size_bytes[i];
    if (header_size > file_size - 8)
      fail(cat("header length ", header_size, " runs past the end of the file (", file_size, " bytes)"));
    if (header_size > kMaxHeaderBytes)
      fail(cat("header length ", header_size, " exceeds the limit of ", kMaxHeaderBytes));
    std::string text(header_size, '\0');
    in.read(text.data(), static_cast<std::streamsize>(header_size));
    if (!in) fail("cannot read the header");

    SafetensorsHeader header;
    header.data_start = 8 + header_size;
    parse(text, file_size - header.data_start, header);
    return header;
  }

 private:
  void parse(const std::string& text, uint64_t data_size, SafetensorsHeader& header) {
    std::set<std::string> keys;
    std::string duplicate;
    // nlohmann keeps the last of two equal keys; a duplicate tensor name would hide a tensor.
    auto note_keys = [&](int depth, json::parse_event_t event, json& parsed) {
      if (depth == 1 && event == json::parse_event_t::key && !keys.insert(parsed.get<std::string>()).second)
        duplicate = parsed.get<std::string>();
      return true;
    };
    json root;
    try {
      root = json::parse(text, note_keys);
    } catch (const json::exception& e) {
      fail(cat("header is not valid JSON: ", e.what()));
    }
    if (!root.is_object()) fail("header is not a JSON object");
    if (!duplicate.empty()) fail(duplicate, "appears twice in the header");
    for (const auto& [name, value] : root.items()) {
      if (name == kMetadataKey)
        read_metadata(value, header.metadata);
      else
        header.entries.push_back(read_entry(name, value, data_size));
    }
    check_layout(header.entries, data_size);
  }

  void read_metadata(const json& value, std::map<std::string, std::string>& out) const {
    if (!value.is_object()) fail("__metadata__ is not a JSON object");
    for (const auto& [key, text] : value.items()) {
      if (!text.is_string()) fail(cat("__metadata__ value of '", key, "' is not a string"));
      out[key] = text.get<std::string>();
    }
  }

  SafetensorsEntry read_entry(const std::string& name, const json& value, uint64_t data_size) const {
    if (!value.is_object()) fail(name, "is not described by a JSON object");
    for (const char* field : {"dtype", "shape", "data_offsets"})
      if (!value.contains(field)) fail(name, cat("has no '", field, "'"));
    SafetensorsEntry e;
    e.name = name;
    if (!value["dtype"].is_string()) fail(name, "has a dtype that is not a string");
    e.dtype = value["dtype"].get<std::string>();
    const uint64_t element_size = safetensors_element_size(e.dtype);
    if (element_size == 0)
      fail(name, cat("has unknown dtype '", e.dtype, "' (known: ", join(safetensors_dtypes(), ", "), ")"));

    const json& shape = value["shape"];
    if (!shape.is_array()) fail(name, "has a shape that is not a list");
    for (const auto& d : shape) {
      if (!d.is_number_unsigned() ||
          d.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        fail(name, cat("has shape ", quoted(shape), ": dimensions must be integers >= 0"));
      e.shape.push_back(d.get<int64_t>());
    }
    const json& offsets = value["data_offsets"];
    if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
        !offsets[1].is_number_unsigned())
      fail(name, cat("has data_offsets ", quoted(offsets), ": expected [begin, end], integers >= 0"));
    e.begin = offsets[0].get<uint64_t>();
    e.end = offsets[1].get<uint64_t>();
    if (e.begin > e.end)
      fail(name, cat("has data_offsets [", e.begin, ", ", e.end, "] that end before they begin"));
    if (e.end > data_size)
      fail(name, cat("has data_offsets [", e.begin, ", ", e.end, "] past the end of the data (", data_size,
                     " bytes)"));

    uint64_t bytes = element_size;
    for (int64_t d : e.shape)
      if (__builtin_mul_overflow(bytes, static_cast<uint64_t>(d), &bytes))
        fail(name, cat("has shape ", shape_text(e.shape), ", too large to address"));
    if (bytes != e.end - e.begin)
      fail(name, cat("has shape ", shape_text(e.shape), " of ", e.dtype, ", which needs ", bytes,
                     " bytes, but data_offsets [", e.begin, ", ", e.end, "] hold ", e.end - e.begin));
    return e;
  }

  // Every data byte belongs to exactly one tensor: no overlaps (two tensors sharing bytes) and no
  // holes (bytes no tensor owns), as the reference implementation demands.
  void check_layout(std::vector<SafetensorsEntry> entries, uint64_t data_size) const {
    std::sort(entries.begin(), entries.end(), [](const SafetensorsEntry& a, const SafetensorsEntry& b) {
      return std::tie(a.begin, a.end) < std::tie(b.begin, b.end);
    });
    uint64_t covered = 0;
    const SafetensorsEntry* previous = nullptr;
    for (const auto& e : entries) {
      if (e.begin < covered)
        fail(e.name, cat("has data_offsets [", e.begin, ", ", e.end, "] that overlap tensor '",
                         previous->name, "' [", previous->begin, ", ", previous->end, "]"));
      if (e.begin > covered)
        fail(cat("data bytes [", covered, ", ", e.begin, ") belong to no tensor (before tensor '", e.name,
                 "')"));
      covered = e.end;
      previous = &e;
    }
    if (covered != data_size) fail(cat("data bytes [", covered, ", ", data_size, ") belong to no tensor"));
  }

  std::string path_;
};

}  // namespace

void throw_safetensors_error(const std::string& path, const std::string& what) {
  throw DataError(cat("safetensors file '", path, "': ", what));
}

const std::vector<std::string>& safetensors_dtypes() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& [name, size] : dtype_sizes()) out.push_back(name);
    return out;
  }();
  return names;
}

uint64_t safetensors_element_size(const std::string& dtype) {
  for (const auto& [name, size] : dtype_sizes())
    if (name == dtype) return size;
  return 0;
}

SafetensorsHeader read_safetensors_header(std::istream& in, uint64_t file_size, const std::string& path) {
  return HeaderReader(path).read(in, file_size);
}

}  // namespace softvit
