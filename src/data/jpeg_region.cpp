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
