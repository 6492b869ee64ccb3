#include "models/safetensors.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/strings.h"

// The format stores little-endian bytes; softvit copies them verbatim.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "safetensors I/O assumes a little-endian host");

namespace softvit {
namespace {

using nlohmann::json;

constexpr uint64_t kMaxHeaderBytes = 100'000'000;  // the limit of the reference implementation
constexpr const char* kMetadataKey = "__metadata__";

struct DtypeName {
  const char* name;
  torch::ScalarType type;
};

const std::vector<DtypeName>& dtype_names() {
  static const std::vector<DtypeName> table = {
      {"F64", torch::kFloat64},
      {"F32", torch::kFloat32},
      {"F16", torch::kFloat16},
      {"BF16", torch::kBFloat16},
      {"F8_E4M3", torch::kFloat8_e4m3fn},
      {"F8_E5M2", torch::kFloat8_e5m2},
      {"I64", torch::kInt64},
      {"I32", torch::kInt32},
      {"I16", torch::kInt16},
      {"I8", torch::kInt8},
      {"U64", torch::kUInt64},
      {"U32", torch::kUInt32},
      {"U16", torch::kUInt16},
      {"U8", torch::kUInt8},
      {"BOOL", torch::kBool},
  };
  return table;
}

// One tensor as the header describes it; offsets are relative to the start of the data.
struct Entry {
  std::string name;
  torch::ScalarType dtype;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;
};

struct Header {
  std::vector<Entry> entries;
  std::map<std::string, std::string> metadata;
  uint64_t data_start = 0;  // file offset of the data: 8 + header length
};

std::string shape_text(const std::vector<int64_t>& shape) {
  std::vector<std::string> dims;
  for (auto d : shape) dims.push_back(std::to_string(d));
  return "[" + join(dims, ", ") + "]";
}

class HeaderReader {
 public:
  explicit HeaderReader(std::string path) : path_(std::move(path)) {}

  [[noreturn]] void fail(const std::string& what) const {
    throw DataError(cat("safetensors file '", path_, "': ", what));
  }
  [[noreturn]] void fail(const std::string& tensor, const std::string& what) const {
    fail(cat("tensor '", tensor, "' ", what));
  }

  Header read(std::ifstream& in) {
    std::error_code error;
    if (!std::filesystem::is_regular_file(path_, error)) fail("does not exist or is not a file");
    const uint64_t file_size = std::filesystem::file_size(path_, error);
    if (error || !in) fail("cannot be read");
    if (file_size < 8) fail(cat("is ", file_size, " bytes long, too short for the 8-byte header length"));
    unsigned char size_bytes[8];
    in.read(reinterpret_cast<char*>(size_bytes), 8);
    uint64_t header_size = 0;
    for (int i = 7; i >= 0; --i) header_size = (header_size << 8) | size_bytes[i];
    if (header_size > file_size - 8)
      fail(cat("header length ", header_size, " runs past the end of the file (", file_size, " bytes)"));
    if (header_size > kMaxHeaderBytes)
      fail(cat("header length ", header_size, " exceeds the limit of ", kMaxHeaderBytes));
    std::string text(header_size, '\0');
    in.read(text.data(), static_cast<std::streamsize>(header_size));
    if (!in) fail("cannot read the header");

    Header header;
    header.data_start = 8 + header_size;
    parse(text, file_size - header.data_start, header);
    return header;
  }

 private:
  void parse(const std::string& text, uint64_t data_size, Header& header) {
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

  Entry read_entry(const std::string& name, const json& value, uint64_t data_size) const {
    if (!value.is_object()) fail(name, "is not described by a JSON object");
    for (const char* field : {"dtype", "shape", "data_offsets"})
      if (!value.contains(field)) fail(name, cat("has no '", field, "'"));
    Entry e;
    e.name = name;
    if (!value["dtype"].is_string()) fail(name, "has a dtype that is not a string");
    const std::string dtype = value["dtype"].get<std::string>();
    const auto& table = dtype_names();
    const auto known =
        std::find_if(table.begin(), table.end(), [&](const DtypeName& d) { return dtype == d.name; });
    if (known == table.end()) {
      std::vector<std::string> names;
      for (const auto& d : table) names.push_back(d.name);
      fail(name, cat("has unknown dtype '", dtype, "' (known: ", join(names, ", "), ")"));
    }
    e.dtype = known->type;

    const json& shape = value["shape"];
    if (!shape.is_array()) fail(name, "has a shape that is not a list");
    for (const auto& d : shape) {
      if (!d.is_number_unsigned() ||
          d.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        fail(name, cat("has shape ", shape.dump(), ": dimensions must be integers >= 0"));
      e.shape.push_back(d.get<int64_t>());
    }
    const json& offsets = value["data_offsets"];
    if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
        !offsets[1].is_number_unsigned())
      fail(name, cat("has data_offsets ", offsets.dump(), ": expected [begin, end], integers >= 0"));
    e.begin = offsets[0].get<uint64_t>();
    e.end = offsets[1].get<uint64_t>();
    if (e.begin > e.end)
      fail(name, cat("has data_offsets [", e.begin, ", ", e.end, "] that end before they begin"));
    if (e.end > data_size)
      fail(name, cat("has data_offsets [", e.begin, ", ", e.end, "] past the end of the data (", data_size,
                     " bytes)"));

    uint64_t bytes = c10::elementSize(e.dtype);
    for (int64_t d : e.shape)
      if (__builtin_mul_overflow(bytes, static_cast<uint64_t>(d), &bytes))
        fail(name, cat("has shape ", shape_text(e.shape), ", too large to address"));
    if (bytes != e.end - e.begin)
      fail(name, cat("has shape ", shape_text(e.shape), " of ", dtype, ", which needs ", bytes,
                     " bytes, but data_offsets [", e.begin, ", ", e.end, "] hold ", e.end - e.begin));
    return e;
  }

  // Every data byte belongs to exactly one tensor: no overlaps (two tensors sharing bytes) and no
  // holes (bytes no tensor owns), as the reference implementation demands.
  void check_layout(std::vector<Entry> entries, uint64_t data_size) const {
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
      return std::tie(a.begin, a.end) < std::tie(b.begin, b.end);
    });
    uint64_t covered = 0;
    const Entry* previous = nullptr;
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

std::string safetensors_dtype_name(torch::ScalarType dtype) {
  for (const auto& d : dtype_names())
    if (d.type == dtype) return d.name;
  throw DataError(cat("safetensors has no dtype for torch ", c10::toString(dtype)));
}

std::map<std::string, std::string> read_safetensors_metadata(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return HeaderReader(path).read(in).metadata;
}

Safetensors read_safetensors(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  HeaderReader reader(path);
  const Header header = reader.read(in);
  Safetensors out;
  out.metadata = header.metadata;
  for (const auto& e : header.entries) {
    torch::Tensor tensor = torch::empty(e.shape, torch::TensorOptions().dtype(e.dtype));
    const auto bytes = static_cast<std::streamsize>(e.end - e.begin);
    if (bytes > 0) {
      in.seekg(static_cast<std::streamoff>(header.data_start + e.begin));
      in.read(static_cast<char*>(tensor.data_ptr()), bytes);
      if (!in) reader.fail(e.name, "cannot be read (the file changed or is unreadable)");
    }
    if (e.dtype == torch::kBool && tensor.view(torch::kUInt8).gt(1).any().item<bool>())
      reader.fail(e.name, "is BOOL but holds bytes other than 0 and 1");
    out.tensors.emplace(e.name, std::move(tensor));
  }
  return out;
}

void write_safetensors(const std::string& path, const std::map<std::string, torch::Tensor>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  std::vector<std::pair<std::string, torch::Tensor>> order;
  for (const auto& [name, tensor] : tensors) {
    if (name == kMetadataKey) throw DataError(cat("'", path, "': a tensor cannot be named ", kMetadataKey));
    if (!tensor.defined()) throw DataError(cat("'", path, "': tensor '", name, "' is undefined"));
    safetensors_dtype_name(tensor.scalar_type());  // rejects complex and quantized dtypes early
    order.emplace_back(name, tensor.detach().to(torch::kCPU).contiguous());
  }
  std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    return a.second.element_size() > b.second.element_size();  // then by name: the map's order
  });

  json header = json::object();
  uint64_t offset = 0;
  for (const auto& [name, tensor] : order) {
    const uint64_t bytes = tensor.numel() * tensor.element_size();
    header[name] = {{"dtype", safetensors_dtype_name(tensor.scalar_type())},
                    {"shape", tensor.sizes().vec()},
                    {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  if (!metadata.empty()) header[kMetadataKey] = metadata;
  std::string text;
  try {
    text = header.dump();
  } catch (const json::exception& e) {  // a name or value that is not UTF-8
    throw DataError(cat("'", path, "': cannot write the header: ", e.what()));
  }
  text.append((8 - text.size() % 8) % 8, ' ');  // the data starts 8-byte aligned

  std::string file;
  file.reserve(8 + text.size() + offset);
  for (int i = 0; i < 8; ++i) file.push_back(static_cast<char>((text.size() >> (8 * i)) & 0xff));
  file += text;
  for (const auto& [name, tensor] : order)
    if (tensor.numel() > 0)
      file.append(static_cast<const char*>(tensor.data_ptr()), tensor.numel() * tensor.element_size());
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  write_file_atomic(path, file.data(), file.size());
}

}  // namespace softvit
