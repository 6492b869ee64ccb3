// Hostile headers that once got past a parser (found by tests/fuzz or by reading the parser for
// it): each must now be a DataError that names the file and what is wrong, before any large
// allocation. Their bytes are also in the fuzz corpus (regression-*).
#include <filesystem>
#include <fstream>
#include <sstream>

#include "catch.h"
#include "core/config.h"
#include "core/error.h"
#include "data/idx.h"
#include "data/jpeg_header.h"
#include "data/sources/npy.h"
#include "data/sources/zip_members.h"
#include "models/safetensors_header.h"

using namespace softvit;
using Catch::Contains;

namespace {

std::string le64(uint64_t v) {
  std::string out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  return out;
}

SafetensorsHeader read_header(const std::string& json) {
  std::istringstream in(le64(json.size()) + json);
  return read_safetensors_header(in, 8 + json.size(), "hostile.safetensors");
}

std::vector<uint8_t> npy_bytes(const std::string& dict, size_t payload) {
  std::string header = dict;
  header.append(63 - (10 + header.size()) % 64, ' ');
  header += '\n';
  std::string file = std::string("\x93NUMPY\x01\x00", 8);
  file.push_back(static_cast<char>(header.size() & 0xff));
  file.push_back(static_cast<char>(header.size() >> 8));
  file += header + std::string(payload, '\x07');
  return {file.begin(), file.end()};
}

std::string write_temp(const std::string& name, const std::string& bytes) {
  const auto path = std::filesystem::temp_directory_path() / name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path.string();
}

std::string idx_header(std::vector<uint32_t> dims) {
  std::string b = {0, 0, 8, static_cast<char>(dims.size())};
  for (uint32_t d : dims)
    for (int shift : {24, 16, 8, 0}) b += static_cast<char>((d >> shift) & 0xff);
  return b;
}

}  // namespace

TEST_CASE("safetensors: a deeply nested shape is an error, not a stack overflow", "[parsers]") {
  // json::dump, writing the shape into the message, recursed once per level and overflowed the
  // stack at about 100,000 levels.
  const std::string nested = std::string(300'000, '[') + std::string(300'000, ']');
  CHECK_THROWS_WITH(read_header(R"({"w":{"dtype":"F32","shape":)" + nested + R"(,"data_offsets":[0,0]}})"),
                    Contains("hostile.safetensors") && Contains("tensor 'w' has shape a nested list"));
  CHECK_THROWS_WITH(read_header(R"({"w":{"dtype":"F32","shape":[],"data_offsets":)" + nested + "}}"),
                    Contains("data_offsets a nested list"));
}

TEST_CASE("safetensors: a shape of 2^40 elements is an error before any allocation", "[parsers]") {
  CHECK_THROWS_WITH(
      read_header(R"({"w":{"dtype":"F32","shape":[1048576,1048576],"data_offsets":[0,0]}})"),
      Contains("tensor 'w' has shape [1048576, 1048576] of F32, which needs 4398046511104 bytes"));
  CHECK_THROWS_WITH(
      read_header(R"({"w":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,0]}})"),
      Contains("too large to address"));
}

TEST_CASE("npy: a shape whose product wraps around is an error", "[parsers]") {
  // 2^32 * 2^32 wrapped to 0 and passed the size check, leaving a shape that promises 2^64
  // elements over an empty buffer.
  CHECK_THROWS_WITH(
      parse_npy(npy_bytes("{'descr': '|u1', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", 0),
                "images.npy"),
      Contains("images.npy") && Contains("too large to address"));
}

TEST_CASE("idx: a header promising 2^48 bytes is an error, not an allocation", "[parsers]") {
  // The reader allocated the size the header declares before reading a byte.
  const std::string path = write_temp("softvit_hostile_idx", idx_header({65536, 65536, 65536}) + "abc");
  CHECK_THROWS_WITH(read_idx(path),
                    Contains(path) && Contains("promises 281474976710656 bytes of data, the file has 3"));
  const std::string wraps =
      write_temp("softvit_hostile_idx2", idx_header({0xffffffff, 0xffffffff, 0xffffffff}));
  CHECK_THROWS_WITH(read_idx(wraps), Contains(wraps) && Contains("too large to address"));
  std::filesystem::remove(path);
  std::filesystem::remove(wraps);
}

TEST_CASE("jpeg header: an empty segment at the very end is read without indexing past it", "[parsers]") {
  // Its body pointer was &bytes[size], out of range for operator[] (libstdc++'s assertions, on in
  // the sanitizer build, abort there).
  CHECK_FALSE(read_jpeg_header({0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x02}));
  CHECK_FALSE(read_jpeg_header({0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x02}));
}

TEST_CASE("npz: a member whose directory entry claims 2^50 bytes is an error, not an allocation",
          "[parsers]") {
  // read_zip_members allocated the size the central directory claims before reading a byte.
  const std::string path = std::string(SOFTVIT_SOURCE_DIR) + "/tests/fuzz/corpus/npz/regression-claims_2e50";
  CHECK_THROWS_WITH(read_zip_members(path), Contains(path) && Contains("member train_images.npy is"));
}

TEST_CASE("config: an include the system cannot look up is a ConfigError naming the place", "[parsers]") {
  // std::filesystem threw its own filesystem_error ("File name too long") out of the config layer.
  CHECK_THROWS_AS(parse_config("include: " + std::string(5000, 'a') + "\n", "hostile.yaml"), ConfigError);
  CHECK_THROWS_WITH(parse_config("include: " + std::string(5000, 'a') + "\n", "hostile.yaml"),
                    Contains("hostile.yaml:1: included file 'aaaa") && Contains("File name too long"));
  // A missing file keeps its message, which ends with the path.
  CHECK_THROWS_WITH(parse_config("include: nowhere.yaml\n", "hostile.yaml"),
                    Contains("included file 'nowhere.yaml' does not exist (") && Contains("nowhere.yaml)"));
  // And YAML's TypedBadConversion came out of an include list holding a map.
  CHECK_THROWS_WITH(parse_config("include: [{a: 1}]\n", "hostile.yaml"),
                    Contains("hostile.yaml:1: include expects file names"));
}
