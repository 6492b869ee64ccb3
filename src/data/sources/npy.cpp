#include "data/sources/npy.h"

#include <cctype>
#include <cstring>

#include "core/error.h"
#include "core/strings.h"

namespace softvit {
namespace {

// The text after 'key': in the header dict, up to the matching delimiter.
std::string dict_value(const std::string& header, const std::string& key, const std::string& name) {
  const auto at = header.find("'" + key + "'");
  if (at == std::string::npos) throw DataError(cat(name, ": .npy header has no '", key, "': ", header));
  auto pos = header.find(':', at);
  if (pos == std::string::npos) throw DataError(cat(name, ": malformed .npy header: ", header));
  ++pos;
  while (pos < header.size() && std::isspace(static_cast<unsigned char>(header[pos]))) ++pos;
  if (pos >= header.size()) throw DataError(cat(name, ": malformed .npy header: ", header));
  if (header[pos] == '\'') {
    const auto end = header.find('\'', pos + 1);
    return header.substr(pos + 1, end - pos - 1);
  }
  if (header[pos] == '(') {
    const auto end = header.find(')', pos);
    if (end == std::string::npos) throw DataError(cat(name, ": malformed shape in .npy header: ", header));
    return header.substr(pos + 1, end - pos - 1);
  }
  const auto end = header.find_first_of(",}", pos);
  return header.substr(pos, end - pos);
}

}  // namespace

NpyArray parse_npy(const std::vector<uint8_t>& bytes, const std::string& name) {
  static const char kMagic[] = "\x93NUMPY";
  if (bytes.size() < 10 || std::memcmp(bytes.data(), kMagic, 6) != 0)
    throw DataError(cat(name, ": not a .npy array (bad magic)"));
  const int major = bytes[6];
  size_t header_len = 0, header_start = 0;
  if (major == 1) {
    header_len = bytes[8] | (bytes[9] << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) throw DataError(cat(name, ": truncated .npy header"));
    header_len = bytes[8] | (bytes[9] << 8) | (size_t(bytes[10]) << 16) | (size_t(bytes[11]) << 24);
    header_start = 12;
  } else {
    throw DataError(cat(name, ": unsupported .npy version ", major));
  }
  if (header_start + header_len > bytes.size()) throw DataError(cat(name, ": truncated .npy header"));
  const std::string header(reinterpret_cast<const char*>(bytes.data() + header_start), header_len);

  NpyArray array;
  array.dtype = dict_value(header, "descr", name);
  const std::string order = dict_value(header, "fortran_order", name);
  array.fortran_order = order.find("True") != std::string::npos;
  for (const std::string& part : split(dict_value(header, "shape", name), ',')) {
    std::string digits;
    for (char ch : part)
      if (!std::isspace(static_cast<unsigned char>(ch))) digits += ch;
    if (digits.empty()) continue;
    try {
      array.shape.push_back(std::stoll(digits));
    } catch (const std::exception&) {
      throw DataError(cat(name, ": bad shape in .npy header: ", header));
    }
  }
  if (array.dtype != "|u1" && array.dtype != "<u1" && array.dtype != ">u1" && array.dtype != "u1")
    throw DataError(cat(name, ": dtype '", array.dtype, "' is not supported (expected unsigned bytes |u1)"));
  if (array.fortran_order) throw DataError(cat(name, ": Fortran-ordered arrays are not supported"));
  size_t count = 1;
  for (int64_t d : array.shape) {
    if (d < 0) throw DataError(cat(name, ": negative dimension in .npy header"));
    // A product that wraps around would pass the size check below with a shape that promises far
    // more elements than the data holds.
    if (__builtin_mul_overflow(count, static_cast<size_t>(d), &count))
      throw DataError(cat(name, ": the shape in the .npy header is too large to address: ", header));
  }
  const size_t data_start = header_start + header_len;
  if (bytes.size() - data_start < count)
    throw DataError(cat(name, ": truncated: the header promises ", count, " bytes, the array has ",
                        bytes.size() - data_start));
  array.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(data_start),
                    bytes.begin() + static_cast<std::ptrdiff_t>(data_start + count));
  return array;
}

}  // namespace softvit
