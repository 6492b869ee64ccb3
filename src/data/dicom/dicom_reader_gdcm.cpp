// read_dicom through GDCM (Debian's libgdcm-dev: its IJG JPEG 8/12/16-bit, CharLS JPEG-LS and
// OpenJPEG JPEG 2000 codecs, and RLE). The only file that sees GDCM's headers.
#include <gdcmImage.h>
#include <gdcmImageReader.h>
#include <gdcmReader.h>
#include <gdcmSequenceOfItems.h>
#include <gdcmStringFilter.h>
#include <gdcmTrace.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <istream>
#include <sstream>
#include <streambuf>

#include "core/error.h"
#include "core/strings.h"
#include "data/dicom/dicom_image.h"
#include "data/dicom/dicom_syntax.h"

namespace softvit {
namespace {

// The file's bytes as a seekable stream, without a copy.
class MemoryBuffer : public std::streambuf {
 public:
  MemoryBuffer(const std::vector<uint8_t>& bytes) {
    char* begin = reinterpret_cast<char*>(const_cast<uint8_t*>(bytes.data()));
    setg(begin, begin, begin + bytes.size());
  }

 protected:
  pos_type seekoff(off_type offset, std::ios_base::seekdir dir, std::ios_base::openmode which) override {
    if (!(which & std::ios_base::in)) return pos_type(off_type(-1));
    const off_type size = egptr() - eback();
    const off_type base = dir == std::ios_base::beg ? 0 : dir == std::ios_base::cur ? gptr() - eback() : size;
    const off_type to = base + offset;
    if (to < 0 || to > size) return pos_type(off_type(-1));
    setg(eback(), eback() + to, egptr());
    return pos_type(to);
  }
  pos_type seekpos(pos_type position, std::ios_base::openmode which) override {
    return seekoff(off_type(position), std::ios_base::beg, which);
  }
};

// GDCM writes its warnings to stderr; a data loader reads thousands of files.
void quiet_gdcm() {
  static const bool done = [] {
    gdcm::Trace::WarningOff();
    gdcm::Trace::ErrorOff();
    gdcm::Trace::DebugOff();
    return true;
  }();
  (void)done;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  size_t start = 0;
  while (start < s.size() && s[start] == ' ') ++start;
  return s.substr(start);
}

std::string tag_string(const gdcm::StringFilter& filter, const gdcm::DataSet& ds, uint16_t group,
                       uint16_t element) {
  const gdcm::Tag tag(group, element);
  if (!ds.FindDataElement(tag) || ds.GetDataElement(tag).IsEmpty()) return "";
  return trimmed(filter.ToString(ds.GetDataElement(tag)));  // the element of `ds` (may be nested)
}

// A multi-valued number ("40\40\400") as its values; unparsable ones are skipped.
std::vector<double> numbers(const std::string& text) {
  std::vector<double> out;
  for (const auto& part : split(text, '\\')) {
    const std::string t = trimmed(part);
    if (t.empty()) continue;
    char* end = nullptr;
    const double v = std::strtod(t.c_str(), &end);
    if (end != t.c_str() && std::isfinite(v)) out.push_back(v);
  }
  return out;
}

int number_or(const std::string& text, int fallback) {
  const auto values = numbers(text);
  return values.empty() ? fallback : static_cast<int>(values[0]);
}

// The header fields of DicomInfo, from the file's own tags.
DicomInfo header_info(const gdcm::File& file, const std::string& name, const std::string& meta_syntax) {
  const gdcm::DataSet& ds = file.GetDataSet();
  gdcm::StringFilter filter;
  filter.SetFile(file);
  DicomInfo info;
  info.modality = tag_string(filter, ds, 0x0008, 0x0060);
  info.photometric = tag_string(filter, ds, 0x0028, 0x0004);
  info.transfer_syntax_uid = meta_syntax;
  if (info.transfer_syntax_uid.empty()) {  // no meta header: the syntax GDCM found
    const char* uid = gdcm::TransferSyntax::GetTSString(file.GetHeader().GetDataSetTransferSyntax());
    info.transfer_syntax_uid = uid ? uid : "";
  }
  const TransferSyntax* syntax = find_transfer_syntax(info.transfer_syntax_uid);
  info.transfer_syntax_name = syntax ? syntax->name : "unknown";
  info.rows = number_or(tag_string(filter, ds, 0x0028, 0x0010), 0);
  info.cols = number_or(tag_string(filter, ds, 0x0028, 0x0011), 0);
  info.frames = std::max(1, number_or(tag_string(filter, ds, 0x0028, 0x0008), 1));
  info.samples = number_or(tag_string(filter, ds, 0x0028, 0x0002), 1);
  info.bits_allocated = number_or(tag_string(filter, ds, 0x0028, 0x0100), 0);
  info.bits_stored = number_or(tag_string(filter, ds, 0x0028, 0x0101), info.bits_allocated);
  info.is_signed = number_or(tag_string(filter, ds, 0x0028, 0x0103), 0) == 1;
  const auto slope = numbers(tag_string(filter, ds, 0x0028, 0x1053));
  const auto intercept = numbers(tag_string(filter, ds, 0x0028, 0x1052));
  if (!slope.empty() && slope[0] != 0) info.rescale_slope = slope[0];
  if (!intercept.empty()) info.rescale_intercept = intercept[0];
  info.window_centers = numbers(tag_string(filter, ds, 0x0028, 0x1050));
  info.window_widths = numbers(tag_string(filter, ds, 0x0028, 0x1051));
  const std::string function = tag_string(filter, ds, 0x0028, 0x1056);
  if (!function.empty()) info.voi_function = function;
  if (ds.FindDataElement(gdcm::Tag(0x0028, 0x3000)))
    throw DataError(cat(name,
                        ": has a Modality LUT Sequence (0028,3000), which softvit does not apply; "
                        "only Rescale Slope/Intercept is supported"));
  const gdcm::Tag voi_tag(0x0028, 0x3010);
  if (ds.FindDataElement(voi_tag)) {
    const auto sequence = ds.GetDataElement(voi_tag).GetValueAsSQ();
    if (sequence && sequence->GetNumberOfItems() > 0) {
      const gdcm::DataSet& item = sequence->GetItem(1).GetNestedDataSet();
      gdcm::StringFilter item_filter;
      item_filter.SetFile(file);
      const auto descriptor = numbers(tag_string(item_filter, item, 0x0028, 0x3002));
      const gdcm::Tag data_tag(0x0028, 0x3006);
      const gdcm::ByteValue* data =
          item.FindDataElement(data_tag) ? item.GetDataElement(data_tag).GetByteValue() : nullptr;
      if (descriptor.size() == 3 && data && data->GetLength() >= 2) {
        DicomLut& lut = info.voi_lut;
        const auto entries = static_cast<size_t>(descriptor[0] == 0 ? 65536 : descriptor[0]);
        lut.first_mapped = static_cast<int64_t>(descriptor[1]);
        // US or SS: a negative first value may read as unsigned.
        if (info.is_signed && lut.first_mapped > 32767) lut.first_mapped -= 65536;
        lut.bits = static_cast<int>(descriptor[2]);
        const size_t available = data->GetLength() / 2;
        lut.data.resize(std::min(entries, available));
        const char* p = data->GetPointer();
        for (size_t i = 0; i < lut.data.size(); ++i)
          lut.data[i] = static_cast<uint16_t>(static_cast<uint8_t>(p[2 * i]) |
                                              (static_cast<uint8_t>(p[2 * i + 1]) << 8));
        info.has_voi_lut = !lut.data.empty();
      }
    }
  }
  return info;
}

void check_syntax(const std::string& uid, const std::string& name) {
  if (uid.empty()) return;  // no meta header: GDCM guesses the encoding (implicit or explicit LE)
  const TransferSyntax* syntax = find_transfer_syntax(uid);
  if (!syntax || !syntax->supported)
    throw DataError(cat(name, ": transfer syntax ", describe_transfer_syntax(uid),
                        " is not supported (softvit reads: ", supported_transfer_syntaxes(), ")"));
}

// Whether the photometric interpretation is one softvit reads (true: colour), else a DataError.
bool check_photometric(const DicomInfo& info, const std::string& name) {
  const std::string& photometric = info.photometric;
  const bool j2k = info.transfer_syntax_uid == "1.2.840.10008.1.2.4.90" ||
                   info.transfer_syntax_uid == "1.2.840.10008.1.2.4.91";
  const bool colour = photometric == "RGB" || photometric == "YBR_FULL" || photometric == "YBR_FULL_422" ||
                      (j2k && (photometric == "YBR_RCT" || photometric == "YBR_ICT"));
  if (photometric != "MONOCHROME1" && photometric != "MONOCHROME2" && !colour)
    throw DataError(cat(name, ": photometric interpretation '", photometric,
                        "' is not supported (softvit reads MONOCHROME1, MONOCHROME2, RGB, YBR_FULL, "
                        "YBR_FULL_422, and YBR_RCT/YBR_ICT in JPEG 2000)"));
  return colour;
}

void check_bits(int allocated, int stored, int high, const std::string& name) {
  if ((allocated != 8 && allocated != 16) || stored < 1 || stored > allocated || high < stored - 1 ||
      high >= allocated)
    throw DataError(
        cat(name, ": ", allocated, " bits allocated, ", stored,
            " stored: softvit reads 8 or 16 bits allocated (1-bit and 32-bit data are not supported)"));
}

// YBR_FULL to RGB as PS3.3 C.7.6.3.1.2 gives it, in single precision and rounded as pydicom does.
void ybr_to_rgb(std::vector<int32_t>& values, int bits) {
  const float offset = static_cast<float>(1 << (bits - 1));
  const float top = static_cast<float>((1 << bits) - 1);
  const float g_cb = -0.114f * 1.772f / 0.587f, g_cr = -0.299f * 1.402f / 0.587f;
  for (size_t i = 0; i + 2 < values.size(); i += 3) {
    const float y = static_cast<float>(values[i]), cb = static_cast<float>(values[i + 1]) - offset,
                cr = static_cast<float>(values[i + 2]) - offset;
    const float rgb[3] = {y + 1.402f * cr, y + g_cb * cb + g_cr * cr, y + 1.772f * cb};
    for (int c = 0; c < 3; ++c)
      values[i + static_cast<size_t>(c)] =
          static_cast<int32_t>(std::clamp(std::floor(rgb[c] + 0.5f), 0.0f, top));
  }
}

}  // namespace

bool dicom_supported() { return true; }

DicomInfo read_dicom_info(const std::vector<uint8_t>& bytes, const std::string& name) {
  quiet_gdcm();
  const std::string meta_syntax = meta_transfer_syntax(bytes);
  MemoryBuffer buffer(bytes);
  std::istream stream(&buffer);
  gdcm::Reader reader;
  reader.SetStream(stream);
  if (!reader.ReadUpToTag(gdcm::Tag(0x7fe0, 0x0010)))
    throw DataError(
        cat(name, ": not a DICOM file GDCM can parse",
            meta_syntax.empty() ? "" : " (transfer syntax " + describe_transfer_syntax(meta_syntax) + ")"));
  return header_info(reader.GetFile(), name, meta_syntax);
}

DicomImage read_dicom(const std::vector<uint8_t>& bytes, const std::string& name, bool first_frame) {
  quiet_gdcm();
  if (bytes.empty()) throw DataError(cat(name, ": empty file"));
  const std::string meta_syntax = meta_transfer_syntax(bytes);
  check_syntax(meta_syntax, name);
  // The header is checked before GDCM's image reader sees the file: Debian's GDCM keeps its
  // assertions, and its pixmap reader aborts the process on some headers (PALETTE COLOR without
  // its palette).
  {
    const DicomInfo header = read_dicom_info(bytes, name);
    check_syntax(header.transfer_syntax_uid, name);
    check_photometric(header, name);
    check_bits(header.bits_allocated, header.bits_stored, header.bits_stored - 1, name);
  }
  MemoryBuffer buffer(bytes);
  std::istream stream(&buffer);
  gdcm::ImageReader reader;
  reader.SetStream(stream);
  if (!reader.Read())
    throw DataError(
        cat(name, ": not a DICOM image GDCM can read (truncated, no pixel data, or not DICOM",
            meta_syntax.empty() ? "" : "; transfer syntax " + describe_transfer_syntax(meta_syntax), ")"));
  DicomImage out;
  out.info = header_info(reader.GetFile(), name, meta_syntax);
  DicomInfo& info = out.info;
  check_syntax(info.transfer_syntax_uid, name);
  const gdcm::Image& image = reader.GetImage();
  const gdcm::PixelFormat format = image.GetPixelFormat();
  const std::string& photometric = info.photometric;
  const bool colour = check_photometric(info, name);
  const bool ybr = photometric == "YBR_FULL" || photometric == "YBR_FULL_422";
  const int samples = format.GetSamplesPerPixel();
  if (samples != (colour ? 3 : 1))
    throw DataError(
        cat(name, ": ", samples, " samples per pixel for photometric interpretation ", photometric));
  const int allocated = format.GetBitsAllocated(), stored = format.GetBitsStored(),
            high = format.GetHighBit();
  check_bits(allocated, stored, high, name);
  // GDCM 3.0's RLE decoder interleaves the six byte segments of 16-bit colour in the wrong order
  // (seen on pydicom's SC_rgb_rle_16bit.dcm): refused rather than read wrongly.
  if (samples == 3 && allocated == 16 && info.transfer_syntax_uid == "1.2.840.10008.1.2.5")
    throw DataError(
        cat(name, ": 16-bit colour in transfer syntax ", describe_transfer_syntax(info.transfer_syntax_uid),
            " is not supported (GDCM 3.0 decodes it wrongly); 8-bit colour and 16-bit grey RLE are"));
  const unsigned int* dims = image.GetDimensions();
  const size_t cols = dims[0], rows = dims[1];
  const size_t frames = image.GetNumberOfDimensions() > 2 ? dims[2] : 1;
  if (frames > 1 && !first_frame)
    throw DataError(cat(name, ": ", frames,
                        " frames; data.dicom.frames is error (set it to first to use the first frame)"));
  // The header's bit depth stays in info (what the file declares); GDCM's pixel format, which may
  // correct it from the codestream (a JPEG 2000 stream with more bits than Bits Stored), decodes.
  const bool is_signed = format.GetPixelRepresentation() == 1;
  info.rows = static_cast<int>(rows);
  info.cols = static_cast<int>(cols);
  info.frames = static_cast<int>(frames);
  info.samples = samples;
  if (image.GetSlope() != 0) {
    info.rescale_slope = image.GetSlope();
    info.rescale_intercept = image.GetIntercept();
  }

  const size_t length = image.GetBufferLength();
  const size_t bytes_per_value = static_cast<size_t>(allocated / 8);
  const size_t frame_values = rows * cols * static_cast<size_t>(samples);
  if (rows == 0 || cols == 0 || length < frame_values * bytes_per_value)
    throw DataError(cat(name, ": pixel data smaller than ", rows, " x ", cols, " x ", samples, " values"));
  std::vector<char> pixels(length);
  if (!image.GetBuffer(pixels.data()))
    throw DataError(cat(name, ": cannot decode the pixel data (transfer syntax ",
                        describe_transfer_syntax(info.transfer_syntax_uid), ")"));

  // The first frame, masked to the stored bits and sign-extended.
  out.values.resize(frame_values);
  const int shift = high + 1 - stored;
  const uint32_t mask = stored >= 32 ? 0xFFFFFFFFu : ((1u << stored) - 1);
  const bool planar = samples == 3 && image.GetPlanarConfiguration() == 1;
  const size_t plane = rows * cols;
  for (size_t i = 0; i < frame_values; ++i) {
    // Interleaved output position i reads planar position (channel * plane + pixel).
    const size_t from = planar ? (i % 3) * plane + i / 3 : i;
    uint32_t raw = 0;
    if (bytes_per_value == 1) {
      raw = static_cast<uint8_t>(pixels[from]);
    } else {
      uint16_t v;  // GDCM hands out native byte order, whatever the file's
      std::memcpy(&v, pixels.data() + 2 * from, 2);
      raw = v;
    }
    uint32_t value = (raw >> shift) & mask;
    int32_t signed_value = static_cast<int32_t>(value);
    if (is_signed && (value & (1u << (stored - 1)))) signed_value -= static_cast<int32_t>(1u << stored);
    out.values[i] = signed_value;
  }
  if (ybr) ybr_to_rgb(out.values, stored);
  return out;
}

}  // namespace softvit
