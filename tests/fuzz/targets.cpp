#include "targets.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>
#include <stdexcept>

#include "core/config.h"
#include "core/error.h"
#include "data/idx.h"
#include "data/jpeg_header.h"
#include "data/sources/csv_parse.h"
#include "data/sources/npy.h"
#include "data/sources/zip_members.h"
#include "data/webdataset/shard_reader.h"
#include "models/safetensors_header.h"

namespace softvit::fuzz {
namespace {

// Runs `parse`; softvit::Error is the expected answer to bad bytes, so it is swallowed.
template <class Parse>
void expect_ok_or_error(Parse&& parse) {
  try {
    parse();
  } catch (const softvit::Error&) {
  }
}

void safetensors(const uint8_t* data, size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  expect_ok_or_error([&] { read_safetensors_header(in, size, "fuzz.safetensors"); });
}

void npy(const uint8_t* data, size_t size) {
  const std::vector<uint8_t> bytes(data, data + size);
  expect_ok_or_error([&] {
    const NpyArray array = parse_npy(bytes, "fuzz.npy");
    // The caller trusts shape and data to agree (npz_source reads samples by the shape).
    size_t count = 1;
    for (int64_t d : array.shape) count *= static_cast<size_t>(d);
    if (count != array.data.size()) throw std::logic_error("npy: shape and data disagree");
  });
}

// read_idx and read_zip_members take a path (zlib and libzip open the file): the bytes go to a
// file that lives in memory, reused across inputs. Returns its path.
std::string memory_file(const uint8_t* data, size_t size) {
  static const int fd = memfd_create("softvit-fuzz", 0);
  if (fd < 0) throw std::runtime_error(std::string("memfd_create: ") + std::strerror(errno));
  if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != static_cast<ssize_t>(size))
    throw std::runtime_error(std::string("writing the memory file: ") + std::strerror(errno));
  return "/proc/self/fd/" + std::to_string(fd);
}

// An .npz as the npz source reads it: the zip's members, then each as .npy.
void npz(const uint8_t* data, size_t size) {
  const std::string path = memory_file(data, size);
  expect_ok_or_error([&] {
    for (const auto& member : read_zip_members(path))
      expect_ok_or_error([&] { parse_npy(member.second, member.first); });
  });
}

void idx(const uint8_t* data, size_t size) {
  const std::string path = memory_file(data, size);
  expect_ok_or_error([&] {
    const IdxArray array = read_idx(path);
    size_t count = 1;
    for (int64_t d : array.shape) count *= static_cast<size_t>(d);
    if (count != array.data.size()) throw std::logic_error("idx: shape and data disagree");
  });
}

void jpeg_header(const uint8_t* data, size_t size) {
  const auto header = read_jpeg_header(std::vector<uint8_t>(data, data + size));
  if (header && (header->orientation < 1 || header->orientation > 8))
    throw std::logic_error("jpeg_header: orientation outside 1..8");
}

void csv(const uint8_t* data, size_t size) {
  expect_ok_or_error([&] { parse_csv(std::string(reinterpret_cast<const char*>(data), size)); });
}

void config(const uint8_t* data, size_t size) {
  expect_ok_or_error(
      [&] { parse_config(std::string(reinterpret_cast<const char*>(data), size), "fuzz.yaml"); });
}

// A WebDataset shard (.tar or .tar.gz: libarchive tells them apart), read as the loader reads it,
// labels from .cls members and then from a .json field that may name a class. A sample the reader
// calls usable must have an image and a label in range.
void webdataset(const uint8_t* data, size_t size) {
  const std::string path = memory_file(data, size);
  for (const char* field : {"", "label"}) {
    LabelRule rule;
    rule.json_field = field;
    rule.class_names = {"cat", "dog", "fish"};
    rule.classes = 3;
    expect_ok_or_error([&] {
      ShardReader reader(path, rule, /*with_images=*/true);
      ShardSample sample;
      while (reader.next(sample)) {
        if (!sample.problem.empty()) continue;
        if (sample.label < 0 || sample.label >= rule.classes)
          throw std::logic_error("webdataset: a usable sample's label is out of range");
        if (sample.image_extension.empty() || !is_image_extension(sample.image_extension))
          throw std::logic_error("webdataset: a usable sample without an image member");
      }
    });
  }
}

}  // namespace

const std::vector<Target>& targets() {
  static const std::vector<Target> all = {
      {"safetensors", safetensors}, {"npy", npy}, {"npz", npz},       {"idx", idx},
      {"jpeg_header", jpeg_header}, {"csv", csv}, {"config", config}, {"webdataset", webdataset},
  };
  return all;
}

const Target& target(const std::string& name) {
  for (const auto& t : targets())
    if (t.name == name) return t;
  throw std::invalid_argument("no fuzz target '" + name + "'");
}

}  // namespace softvit::fuzz
