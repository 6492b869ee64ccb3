// The safetensors format (what timm, Hugging Face and safetensors.torch read and write): an 8-byte
// little-endian header length, a JSON header that gives each tensor's dtype, shape and byte range
// (plus optional string metadata under "__metadata__"), then the raw little-endian bytes.
// Reading checks everything a damaged or hostile file could get wrong; each problem is a
// DataError naming the file and the tensor.
#pragma once
#include <torch/torch.h>

#include <map>
#include <string>

namespace softvit {

struct Safetensors {
  std::map<std::string, torch::Tensor> tensors;  // CPU, contiguous, by name
  std::map<std::string, std::string> metadata;
};

// Reads the whole file. Dtypes: F64 F32 F16 BF16 F8_E4M3 F8_E5M2 I64 I32 I16 I8 U64 U32 U16 U8 BOOL.
Safetensors read_safetensors(const std::string& path);

// Reads only the metadata (the header), without the tensor bytes.
std::map<std::string, std::string> read_safetensors_metadata(const std::string& path);

// Writes atomically (a crash leaves the old file or the new one). Tensors may live on any device
// and need not be contiguous. Like safetensors.torch, tensors are laid out widest dtype first, so
// each one starts at a multiple of its element size; the header is padded to 8 bytes.
void write_safetensors(const std::string& path, const std::map<std::string, torch::Tensor>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

// "F32" for torch::kFloat32, ...; throws DataError for a dtype the format has no name for.
std::string safetensors_dtype_name(torch::ScalarType dtype);

}  // namespace softvit
