#include "models/safetensors.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/strings.h"
#include "models/safetensors_header.h"

// The format stores little-endian bytes; softvit copies them verbatim.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "safetensors I/O assumes a little-endian host");

namespace softvit {
namespace {

using nlohmann::json;

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

// The header of the file at `path` (tensor bytes are read later from the same stream).
SafetensorsHeader read_header(const std::string& path, std::ifstream& in) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error))
    throw_safetensors_error(path, "does not exist or is not a file");
  const uint64_t file_size = std::filesystem::file_size(path, error);
  if (error || !in) throw_safetensors_error(path, "cannot be read");
  return read_safetensors_header(in, file_size, path);
}

torch::ScalarType torch_dtype(const SafetensorsEntry& e, const std::string& path) {
  for (const auto& d : dtype_names())
    if (e.dtype == d.name) return d.type;
  // The header reader knows the same names; a name only it knows would be a bug here.
  throw_safetensors_error(
      path, cat("tensor '", e.name, "' has dtype '", e.dtype, "', which softvit cannot map to torch"));
}

}  // namespace

std::string safetensors_dtype_name(torch::ScalarType dtype) {
  for (const auto& d : dtype_names())
    if (d.type == dtype) return d.name;
  throw DataError(cat("safetensors has no dtype for torch ", c10::toString(dtype)));
}

std::map<std::string, std::string> read_safetensors_metadata(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return read_header(path, in).metadata;
}

Safetensors read_safetensors(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const SafetensorsHeader header = read_header(path, in);
  Safetensors out;
  out.metadata = header.metadata;
  for (const auto& e : header.entries) {
    const torch::ScalarType dtype = torch_dtype(e, path);
    torch::Tensor tensor = torch::empty(e.shape, torch::TensorOptions().dtype(dtype));
    const auto bytes = static_cast<std::streamsize>(e.end - e.begin);
    if (bytes > 0) {
      in.seekg(static_cast<std::streamoff>(header.data_start + e.begin));
      in.read(static_cast<char*>(tensor.data_ptr()), bytes);
      if (!in)
        throw_safetensors_error(
            path, cat("tensor '", e.name, "' cannot be read (the file changed or is unreadable)"));
    }
    if (dtype == torch::kBool && tensor.view(torch::kUInt8).gt(1).any().item<bool>())
      throw_safetensors_error(path, cat("tensor '", e.name, "' is BOOL but holds bytes other than 0 and 1"));
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
