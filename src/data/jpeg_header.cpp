#include "data/jpeg_header.h"

#include <string>

namespace softvit {
namespace {

int read16(const uint8_t* p, bool big_endian) { return big_endian ? (p[0] << 8) | p[1] : (p[1] << 8) | p[0]; }
uint32_t read32(const uint8_t* p, bool big_endian) {
  return big_endian ? (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3]
                    : (uint32_t(p[3]) << 24) | (uint32_t(p[2]) << 16) | (uint32_t(p[1]) << 8) | p[0];
}

bool is_exif(const uint8_t* data, size_t size) {
  return size >= 14 && std::string(reinterpret_cast<const char*>(data), 4) == "Exif";
}

// The orientation tag (0x0112) of IFD0 in an APP1 "Exif" segment; 1 when absent or unreadable.
int exif_orientation(const uint8_t* data, size_t size) {
  if (!is_exif(data, size)) return 1;
  const uint8_t* tiff = data + 6;
  const size_t n = size - 6;
  const bool big = tiff[0] == 'M';
  if (!(tiff[0] == 'M' && tiff[1] == 'M') && !(tiff[0] == 'I' && tiff[1] == 'I')) return 1;
  const size_t ifd = read32(tiff + 4, big);
  if (ifd + 2 > n) return 1;
  const int entries = read16(tiff + ifd, big);
  for (int e = 0; e < entries; ++e) {
    const size_t at = ifd + 2 + 12 * static_cast<size_t>(e);
    if (at + 12 > n) return 1;
    if (read16(tiff + at, big) == 0x0112) {
      const int value = read16(tiff + at + 8, big);
      return value >= 1 && value <= 8 ? value : 1;
    }
  }
  return 1;
}

}  // namespace

std::optional<JpegHeader> read_jpeg_header(const std::vector<uint8_t>& bytes) {
  const size_t n = bytes.size();
  if (n < 4 || bytes[0] != 0xFF || bytes[1] != 0xD8) return std::nullopt;
  JpegHeader header;
  size_t at = 2;
  while (at + 4 <= n) {
    if (bytes[at] != 0xFF) return std::nullopt;
    const uint8_t marker = bytes[at + 1];
    if (marker == 0xFF) {  // fill byte
      ++at;
      continue;
    }
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {  // no length
      at += 2;
      continue;
    }
    const size_t length = read16(&bytes[at + 2], true);
    if (length < 2 || at + 2 + length > n) return std::nullopt;
    // Not &bytes[at + 4]: an empty segment (length 2) at the end of the bytes has its body at the
    // end itself, which operator[] must not index (found by tests/fuzz).
    const uint8_t* body = bytes.data() + at + 4;
    // APP1 also carries XMP (and other) segments, often after the Exif one: only Exif sets it.
    if (marker == 0xE1 && is_exif(body, length - 2)) header.orientation = exif_orientation(body, length - 2);
    const bool frame = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (frame) {
      if (length < 8) return std::nullopt;
      header.height = read16(body + 1, true);
      header.width = read16(body + 3, true);
      header.components = body[5];
      return header;
    }
    if (marker == 0xDA || marker == 0xD9) return std::nullopt;  // scan before any frame header
    at += 2 + length;
  }
  return std::nullopt;
}

}  // namespace softvit
