#include "data/jpeg_region.h"

#include <csetjmp>
#include <cstdio>

#include <jerror.h>
#include <jpeglib.h>  // after cstdio: jpeglib.h needs FILE and size_t

#include "core/error.h"
#include "core/strings.h"
#include "data/decode.h"

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

struct ErrorManager {
  jpeg_error_mgr pub;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
  bool hit_eof;
};

void on_error(j_common_ptr c) {
  auto* e = reinterpret_cast<ErrorManager*>(c->err);
  (*c->err->format_message)(c, e->message);
  std::longjmp(e->jump, 1);
}

void on_message(j_common_ptr c, int level) {
  if (level == -1 && c->err->msg_code == JWRN_JPEG_EOF)
    reinterpret_cast<ErrorManager*>(c->err)->hit_eof = true;
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
    const uint8_t* body = &bytes[at + 4];
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

namespace {

// `box` scaled by eighths/8, rounded outwards so that it still covers the whole region.
cv::Rect scale_box(const cv::Rect& box, int eighths) {
  const int x0 = box.x * eighths / 8, y0 = box.y * eighths / 8;
  const int x1 = (box.br().x * eighths + 7) / 8, y1 = (box.br().y * eighths + 7) / 8;
  return {x0, y0, x1 - x0, y1 - y0};
}

// The decoding steps; libjpeg errors longjmp out of here back to decode_jpeg_region.
void decode_rows(jpeg_decompress_struct& c, cv::Rect& box, int channels, const cv::Size& at_least,
                 cv::Mat& out, JDIMENSION& x_start) {
  const int eighths = at_least.empty() ? 8 : jpeg_scale_eighths(box.size(), at_least);
  jpeg_read_header(&c, TRUE);
  c.out_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_EXT_RGB;
  c.scale_num = static_cast<unsigned int>(eighths);
  c.scale_denom = 8;
  box = scale_box(box, eighths);
  jpeg_start_decompress(&c);
  box &= cv::Rect(0, 0, static_cast<int>(c.output_width), static_cast<int>(c.output_height));
  if (box.empty()) return;
  x_start = static_cast<JDIMENSION>(box.x);
  JDIMENSION width = static_cast<JDIMENSION>(box.width);
  if (box.width < static_cast<int>(c.output_width)) jpeg_crop_scanline(&c, &x_start, &width);
  if (box.y > 0) jpeg_skip_scanlines(&c, static_cast<JDIMENSION>(box.y));
  out.create(box.height, static_cast<int>(width), channels == 1 ? CV_8UC1 : CV_8UC3);
  for (int y = 0; y < box.height; ++y) {
    JSAMPROW row = out.ptr<uint8_t>(y);
    if (jpeg_read_scanlines(&c, &row, 1) != 1) break;
  }
}

}  // namespace

int jpeg_scale_eighths(cv::Size box, cv::Size at_least) {
  // Only 1/8, 1/4 and 1/2 have SIMD inverse DCTs in libjpeg-turbo; its 3/8, 5/8, 6/8 and 7/8
  // are plain C and measured slower than decoding at full scale.
  for (int m : {1, 2, 4})
    if (box.width * m >= at_least.width * 8 && box.height * m >= at_least.height * 8) return m;
  return 8;
}

cv::Mat decode_jpeg_region(const std::vector<uint8_t>& bytes, const std::string& name, cv::Rect box,
                           int channels, cv::Size at_least) {
  if (jpeg_is_truncated(bytes)) throw DataError(cat(name, ": truncated JPEG (no end-of-image marker)"));
  jpeg_decompress_struct c;
  ErrorManager errors;
  c.err = jpeg_std_error(&errors.pub);
  errors.pub.error_exit = on_error;
  errors.pub.emit_message = on_message;
  errors.hit_eof = false;
  cv::Mat out;
  JDIMENSION x_start = 0;
  jpeg_create_decompress(&c);
  if (setjmp(errors.jump)) {
    jpeg_destroy_decompress(&c);
    throw DataError(cat(name, ": corrupt JPEG: ", errors.message));
  }
  jpeg_mem_src(&c, bytes.data(), static_cast<unsigned long>(bytes.size()));
  decode_rows(c, box, channels, at_least, out, x_start);
  jpeg_destroy_decompress(&c);
  if (errors.hit_eof) throw DataError(cat(name, ": truncated JPEG"));
  if (box.empty()) throw DataError(cat(name, ": crop box outside the image"));
  return out(cv::Rect(box.x - static_cast<int>(x_start), 0, box.width, box.height));
}

}  // namespace softvit
