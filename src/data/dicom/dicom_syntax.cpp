#include "data/dicom/dicom_syntax.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

namespace softvit {
namespace {

// Supported: what Debian's GDCM 3.0 decodes (its JPEG, CharLS and OpenJPEG codecs). The others are
// listed so that an error names them.
constexpr TransferSyntax kSyntaxes[] = {
    {"1.2.840.10008.1.2", "Implicit VR Little Endian", true, false},
    {"1.2.840.10008.1.2.1", "Explicit VR Little Endian", true, false},
    {"1.2.840.10008.1.2.1.99", "Deflated Explicit VR Little Endian", true, false},
    {"1.2.840.10008.1.2.2", "Explicit VR Big Endian", true, false},
    {"1.2.840.10008.1.2.5", "RLE Lossless", true, false},
    {"1.2.840.10008.1.2.4.50", "JPEG Baseline (Process 1)", true, true},
    {"1.2.840.10008.1.2.4.51", "JPEG Extended (Process 2 and 4)", true, true},
    {"1.2.840.10008.1.2.4.57", "JPEG Lossless, Non-Hierarchical (Process 14)", true, false},
    {"1.2.840.10008.1.2.4.70", "JPEG Lossless, Non-Hierarchical, First-Order Prediction", true, false},
    {"1.2.840.10008.1.2.4.80", "JPEG-LS Lossless", true, false},
    {"1.2.840.10008.1.2.4.81", "JPEG-LS Near-Lossless", true, true},
    {"1.2.840.10008.1.2.4.90", "JPEG 2000 (Lossless Only)", true, false},
    {"1.2.840.10008.1.2.4.91", "JPEG 2000", true, true},
    {"1.2.840.10008.1.2.4.92", "JPEG 2000 Part 2 Multi-component (Lossless Only)", false, false},
    {"1.2.840.10008.1.2.4.93", "JPEG 2000 Part 2 Multi-component", false, true},
    {"1.2.840.10008.1.2.4.94", "JPIP Referenced", false, false},
    {"1.2.840.10008.1.2.4.95", "JPIP Referenced Deflate", false, false},
    {"1.2.840.10008.1.2.4.100", "MPEG2 Main Profile / Main Level", false, true},
    {"1.2.840.10008.1.2.4.101", "MPEG2 Main Profile / High Level", false, true},
    {"1.2.840.10008.1.2.4.102", "MPEG-4 AVC/H.264 High Profile / Level 4.1", false, true},
    {"1.2.840.10008.1.2.4.103", "MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1", false, true},
    {"1.2.840.10008.1.2.4.104", "MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video", false, true},
    {"1.2.840.10008.1.2.4.105", "MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video", false, true},
    {"1.2.840.10008.1.2.4.106", "MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2", false, true},
    {"1.2.840.10008.1.2.4.107", "HEVC/H.265 Main Profile / Level 5.1", false, true},
    {"1.2.840.10008.1.2.4.108", "HEVC/H.265 Main 10 Profile / Level 5.1", false, true},
    {"1.2.840.10008.1.2.4.110", "JPEG XL Lossless", false, false},
    {"1.2.840.10008.1.2.4.111", "JPEG XL JPEG Recompression", false, false},
    {"1.2.840.10008.1.2.4.112", "JPEG XL", false, true},
    {"1.2.840.10008.1.2.4.201", "High-Throughput JPEG 2000 (Lossless Only)", false, false},
    {"1.2.840.10008.1.2.4.202", "High-Throughput JPEG 2000 with RPCL Options (Lossless Only)", false, false},
    {"1.2.840.10008.1.2.4.203", "High-Throughput JPEG 2000", false, true},
    {"1.2.840.10008.1.2.4.52", "JPEG Extended (Process 3 and 5, retired)", false, true},
    {"1.2.840.10008.1.2.4.53", "JPEG Spectral Selection, Non-Hierarchical (retired)", false, true},
    {"1.2.840.10008.1.2.4.55", "JPEG Full Progression, Non-Hierarchical (retired)", false, true},
    {"1.2.840.10008.1.2.6.1", "RFC 2557 MIME encapsulation (retired)", false, false},
    {"1.2.840.10008.1.2.6.2", "XML Encoding (retired)", false, false},
    {"1.2.840.10008.1.2.7.1", "SMPTE ST 2110-20 Uncompressed Progressive Active Video", false, false},
    {"1.2.840.10008.1.2.1.98", "Encapsulated Uncompressed Explicit VR Little Endian", false, false},
};

uint16_t u16(const std::vector<uint8_t>& b, size_t at) {
  return static_cast<uint16_t>(b[at] | (b[at + 1] << 8));
}
uint32_t u32(const std::vector<uint8_t>& b, size_t at) {
  return static_cast<uint32_t>(b[at]) | (static_cast<uint32_t>(b[at + 1]) << 8) |
         (static_cast<uint32_t>(b[at + 2]) << 16) | (static_cast<uint32_t>(b[at + 3]) << 24);
}

}  // namespace

const TransferSyntax* find_transfer_syntax(const std::string& uid) {
  for (const auto& s : kSyntaxes)
    if (uid == s.uid) return &s;
  return nullptr;
}

std::string describe_transfer_syntax(const std::string& uid) {
  const TransferSyntax* s = find_transfer_syntax(uid);
  return s ? uid + " (" + s->name + ")" : uid;
}

std::string supported_transfer_syntaxes() {
  std::string out;
  for (const auto& s : kSyntaxes)
    if (s.supported) out += std::string(out.empty() ? "" : ", ") + s.name;
  return out;
}

bool has_dicom_preamble(const std::vector<uint8_t>& bytes) {
  return bytes.size() >= 132 && bytes[128] == 'D' && bytes[129] == 'I' && bytes[130] == 'C' &&
         bytes[131] == 'M';
}

bool has_dicom_extension(const std::string& name) {
  std::string ext = std::filesystem::path(name).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".dcm" || ext == ".dicom";
}

std::string meta_transfer_syntax(const std::vector<uint8_t>& bytes) {
  if (!has_dicom_preamble(bytes)) return "";
  // The meta group is always explicit VR little endian: tag (4), VR (2), then a 2-byte length, or
  // 2 reserved bytes and a 4-byte length for OB, OW, OF, SQ, UT, UN.
  size_t at = 132;
  while (at + 8 <= bytes.size()) {
    const uint16_t group = u16(bytes, at), element = u16(bytes, at + 2);
    if (group != 0x0002) break;
    const char vr[2] = {static_cast<char>(bytes[at + 4]), static_cast<char>(bytes[at + 5])};
    const bool long_form = (vr[0] == 'O' && (vr[1] == 'B' || vr[1] == 'W' || vr[1] == 'F')) ||
                           (vr[0] == 'S' && vr[1] == 'Q') || (vr[0] == 'U' && (vr[1] == 'T' || vr[1] == 'N'));
    size_t length = 0, value = 0;
    if (long_form) {
      if (at + 12 > bytes.size()) break;
      length = u32(bytes, at + 8);
      value = at + 12;
    } else {
      length = u16(bytes, at + 6);
      value = at + 8;
    }
    if (length > bytes.size() - value) break;
    if (element == 0x0010) {
      std::string uid(reinterpret_cast<const char*>(bytes.data() + value), length);
      while (!uid.empty() && (uid.back() == '\0' || uid.back() == ' ')) uid.pop_back();
      return uid;
    }
    at = value + length;
  }
  return "";
}

}  // namespace softvit
