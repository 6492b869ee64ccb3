// safetensors: files made by hand from the format's description read correctly, every dtype
// round-trips bit for bit, and every kind of damage is a DataError naming the file and tensor.
#include <nlohmann/json.hpp>

#include <cstring>
#include <filesystem>

#include "catch.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "models/safetensors.h"
#include "test_util.h"

using namespace softvit;

namespace {

// The format by hand: 8-byte little-endian header length, header, data.
std::string safetensors_bytes(const std::string& header, const std::string& data) {
  std::string out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((header.size() >> (8 * i)) & 0xff));
  return out + header + data;
}

std::string bytes_of(const torch::Tensor& t) {
  auto c = t.contiguous();
  return std::string(static_cast<const char*>(c.data_ptr()), c.numel() * c.element_size());
}

// Random bit patterns (NaNs and denormals included): the round trip must keep every bit.
torch::Tensor random_bits(torch::ScalarType dtype, std::vector<int64_t> shape) {
  int64_t numel = 1;
  for (auto d : shape) numel *= d;
  if (dtype == torch::kBool)
    return torch::randint(0, 2, {numel}, torch::kUInt8).view(torch::kBool).reshape(shape);
  const int64_t bytes = numel * static_cast<int64_t>(c10::elementSize(dtype));
  return torch::randint(0, 256, {bytes}, torch::kUInt8).view(dtype).reshape(shape);
}

}  // namespace

TEST_CASE("safetensors: a file written by hand from the format description reads back",
          "[models][safetensors]") {
  TempDir dir;
  // 1.5f, -2.0f as little-endian float32; -3 as little-endian int16; 1 as bool.
  const std::string data =
      std::string("\x00\x00\xc0\x3f\x00\x00\x00\xc0", 8) + std::string("\xfd\xff", 2) + "\x01";
  const std::string header =
      R"({"b":{"dtype":"I16","shape":[1,1],"data_offsets":[8,10]},"__metadata__":{"k":"v"},)"
      R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"c":{"dtype":"BOOL","shape":[],"data_offsets":[10,11]}}  )";
  const auto file = read_safetensors(dir.write("hand.safetensors", safetensors_bytes(header, data)));
  REQUIRE(file.tensors.size() == 3);
  const auto& a = file.tensors.at("a");
  CHECK(a.scalar_type() == torch::kFloat32);
  CHECK(a.sizes() == torch::IntArrayRef{2});
  CHECK(a[0].item<float>() == 1.5f);
  CHECK(a[1].item<float>() == -2.0f);
  CHECK(file.tensors.at("b").sizes() == torch::IntArrayRef{1, 1});
  CHECK(file.tensors.at("b").item<int16_t>() == -3);
  CHECK(file.tensors.at("c").dim() == 0);
  CHECK(file.tensors.at("c").item<bool>());
  CHECK(file.metadata == std::map<std::string, std::string>{{"k", "v"}});
  CHECK(read_safetensors_metadata(dir.path("hand.safetensors")) == file.metadata);
}

TEST_CASE("safetensors: every dtype round-trips bit for bit", "[models][safetensors]") {
  TempDir dir;
  torch::manual_seed(3);
  const std::vector<std::pair<std::string, torch::ScalarType>> dtypes = {{"F64", torch::kFloat64},
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
                                                                         {"BOOL", torch::kBool}};
  std::map<std::string, torch::Tensor> tensors;
  for (const auto& [name, dtype] : dtypes) {
    CHECK(safetensors_dtype_name(dtype) == name);
    tensors[name] = random_bits(dtype, {3, 5});
  }
  tensors["scalar"] = random_bits(torch::kFloat32, {});
  tensors["empty"] = torch::empty({0, 4}, torch::kFloat16);
  tensors["transposed"] = torch::arange(12, torch::kFloat64).reshape({3, 4}).t();  // not contiguous
  const std::map<std::string, std::string> metadata = {{"format", "pt"}, {"note", "ünïcode"}};
  const std::string path = dir.path("sub/all.safetensors");
  write_safetensors(path, tensors, metadata);

  const auto back = read_safetensors(path);
  CHECK(back.metadata == metadata);
  REQUIRE(back.tensors.size() == tensors.size());
  for (const auto& [name, tensor] : tensors) {
    INFO(name);
    const auto& read = back.tensors.at(name);
    CHECK(read.scalar_type() == tensor.scalar_type());
    CHECK(read.sizes() == tensor.sizes());
    CHECK(bytes_of(read) == bytes_of(tensor));
  }
  CHECK(back.tensors.at("transposed")[0][1].item<double>() == 4.0);  // logical order, not storage order
  for (const auto& entry : std::filesystem::directory_iterator(dir.path("sub")))
    CHECK(entry.path().filename() == "all.safetensors");  // written atomically, no leftovers
}

TEST_CASE("safetensors: the writer's layout follows the format", "[models][safetensors]") {
  TempDir dir;
  const std::map<std::string, torch::Tensor> tensors = {{"u8", torch::arange(3, torch::kUInt8)},
                                                        {"f64", torch::arange(2, torch::kFloat64)},
                                                        {"f32", torch::arange(5, torch::kFloat32)}};
  write_safetensors(dir.path("w.safetensors"), tensors, {{"model", "m"}});
  const std::string bytes = read_file(dir.path("w.safetensors"));
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
  CHECK(n % 8 == 0);  // the data starts 8-byte aligned
  const auto header = nlohmann::json::parse(bytes.substr(8, n));
  CHECK(header["__metadata__"]["model"] == "m");
  const std::string data = bytes.substr(8 + n);
  uint64_t covered = 0;
  for (const auto& [name, tensor] : tensors) {
    INFO(name);
    const auto offsets = header[name]["data_offsets"].get<std::vector<uint64_t>>();
    CHECK(header[name]["shape"].get<std::vector<int64_t>>() == tensor.sizes().vec());
    CHECK(offsets[0] % tensor.element_size() == 0);  // each tensor aligned to its element size
    CHECK(data.substr(offsets[0], offsets[1] - offsets[0]) == bytes_of(tensor));
    covered += offsets[1] - offsets[0];
  }
  CHECK(covered == data.size());
  CHECK(header["f64"]["data_offsets"][0] == 0);  // widest first
}

TEST_CASE("safetensors: damaged files are errors naming the file and the tensor", "[models][safetensors]") {
  TempDir dir;
  auto damaged = [&](const std::string& header, const std::string& data = std::string(8, '\x01')) {
    return dir.write("bad.safetensors", safetensors_bytes(header, data));
  };
  auto fails_with = [&](const std::string& path, const std::string& what) {
    INFO(what);
    CHECK_THROWS_AS(read_safetensors(path), DataError);
    CHECK_THROWS_WITH(read_safetensors(path), Catch::Contains("bad.safetensors") && Catch::Contains(what));
  };
  const std::string good = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";

  dir.write("bad.safetensors", std::string("\x05\x00\x00", 3));
  fails_with(dir.path("bad.safetensors"), "too short");
  const std::string whole = safetensors_bytes(good, std::string(8, '\x01'));
  dir.write("bad.safetensors", whole.substr(0, 20));  // cut inside the header
  fails_with(dir.path("bad.safetensors"), "runs past the end of the file");
  dir.write("bad.safetensors", whole.substr(0, whole.size() - 3));  // cut inside the data
  fails_with(dir.path("bad.safetensors"), "'a' has data_offsets [0, 8] past the end of the data (5 bytes)");

  fails_with(damaged(R"({"a":{"dtype":"F32",)"), "not valid JSON");
  fails_with(damaged(R"([1, 2])"), "not a JSON object");
  fails_with(damaged(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,80]}})"),
             "'a' has data_offsets [0, 80]");
  fails_with(damaged(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})"),
             "'a' has data_offsets [8, 0]");
  fails_with(damaged(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})"),
             "'a' has shape [3] of F32, which needs 12 bytes");
  fails_with(damaged(R"({"a":{"dtype":"F64","shape":[2],"data_offsets":[0,8]}})"),
             "'a' has shape [2] of F64");
  fails_with(damaged(R"({"a":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}})"),
             "'a' has unknown dtype 'C64'");
  fails_with(damaged(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})"), "'a' has shape [-2]");
  fails_with(damaged(R"({"a":{"dtype":"F32","data_offsets":[0,8]}})"), "'a' has no 'shape'");
  fails_with(damaged(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0]}})"), "'a' has data_offsets [0]");
  fails_with(
      damaged(R"({"a":{"dtype":"U8","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,8]}})"),
      "too large");
  fails_with(
      damaged(
          R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})"),
      "'b' has data_offsets [4, 8] that overlap tensor 'a'");
  fails_with(
      damaged(
          R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[2],"data_offsets":[6,8]}})"),
      "data bytes [4, 6) belong to no tensor");
  fails_with(damaged(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})"),
             "data bytes [4, 8) belong to no tensor");
  fails_with(
      damaged(
          R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"U8","shape":[8],"data_offsets":[0,8]}})"),
      "'a' appears twice");
  fails_with(damaged(R"({"a":{"dtype":"BOOL","shape":[8],"data_offsets":[0,8]}})",
                     std::string("\x01\x02\0\0\0\0\0\0", 8)),
             "'a' is BOOL but holds bytes other than 0 and 1");
  fails_with(damaged(R"({"__metadata__":{"k":3},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})"),
             "__metadata__ value of 'k' is not a string");
  CHECK_THROWS_WITH(read_safetensors(dir.path("missing.safetensors")),
                    Catch::Contains("missing.safetensors"));
}

TEST_CASE("safetensors: the writer refuses what the format cannot hold", "[models][safetensors]") {
  TempDir dir;
  const std::string path = dir.path("w.safetensors");
  CHECK_THROWS_WITH(write_safetensors(path, {{"z", torch::zeros({2}, torch::kComplexFloat)}}),
                    Catch::Contains("ComplexFloat"));
  CHECK_THROWS_WITH(write_safetensors(path, {{"__metadata__", torch::zeros({2})}}),
                    Catch::Contains("__metadata__"));
  CHECK_THROWS_WITH(write_safetensors(path, {{"x", torch::Tensor()}}), Catch::Contains("'x'"));
  CHECK_FALSE(std::filesystem::exists(path));
}
