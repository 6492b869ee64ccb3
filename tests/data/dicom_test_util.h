// Small DICOM files written by the tests themselves: a minimal Part 10 writer (preamble, meta
// header, explicit VR little endian data set), so that the tests need neither GDCM's writer nor
// pydicom. Enough for grey and RGB images, 8 or 16 bits, several frames, a window, a VOI LUT, and
// any transfer syntax UID (with encapsulated pixel data for the compressed ones).
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "catch.h"
#include "data/dicom/dicom_image.h"

namespace softvit::testing {

// Skips (returns false, with the message CTest counts as skipped) where the build has no DICOM.
inline bool dicom_available() {
  if (dicom_supported()) return true;
  WARN("softvit test skipped: this build has no DICOM support (GDCM not found, or SOFTVIT_DICOM=OFF)");
  return false;
}

class DicomWriter {
 public:
  using Tag = std::pair<uint16_t, uint16_t>;

  std::string transfer_syntax = "1.2.840.10008.1.2.1";

  void text(uint16_t group, uint16_t element, const std::string& vr, std::string value) {
    if (value.size() % 2) value += vr == "UI" ? '\0' : ' ';
    put(group, element, vr, {value.begin(), value.end()});
  }
  void us(uint16_t group, uint16_t element, std::vector<uint16_t> values) {
    std::vector<uint8_t> bytes;
    for (uint16_t v : values) bytes.insert(bytes.end(), {uint8_t(v & 0xFF), uint8_t(v >> 8)});
    put(group, element, "US", bytes);
  }
  void put(uint16_t group, uint16_t element, const std::string& vr, std::vector<uint8_t> value) {
    elements_[{group, element}] = {vr, std::move(value)};
  }
  // Raw bytes of an element, already encoded (a sequence).
  void raw(uint16_t group, uint16_t element, std::vector<uint8_t> encoded) {
    elements_[{group, element}] = {"", std::move(encoded)};
  }

  std::vector<uint8_t> bytes() const {
    std::vector<uint8_t> meta;
    const auto meta_text = [&](uint16_t element, std::string value) {
      if (value.size() % 2) value += '\0';
      append(meta, 0x0002, element, "UI", {value.begin(), value.end()});
    };
    append(meta, 0x0002, 0x0001, "OB", {0, 1});
    meta_text(0x0002, "1.2.840.10008.5.1.4.1.1.7");  // Secondary Capture
    meta_text(0x0003, "1.2.826.0.1.3680043.10.1045.1");
    meta_text(0x0010, transfer_syntax);
    std::vector<uint8_t> out(128, 0);
    out.insert(out.end(), {'D', 'I', 'C', 'M'});
    std::vector<uint8_t> length;
    const auto n = static_cast<uint32_t>(meta.size());
    append(out, 0x0002, 0x0000, "UL", {uint8_t(n), uint8_t(n >> 8), uint8_t(n >> 16), uint8_t(n >> 24)});
    out.insert(out.end(), meta.begin(), meta.end());
    for (const auto& [tag, element] : elements_) {
      if (element.first.empty())
        out.insert(out.end(), element.second.begin(), element.second.end());
      else
        append(out, tag.first, tag.second, element.first, element.second);
    }
    return out;
  }

  static void append(std::vector<uint8_t>& out, uint16_t group, uint16_t element, const std::string& vr,
                     const std::vector<uint8_t>& value, bool undefined_length = false) {
    put16(out, group);
    put16(out, element);
    out.push_back(static_cast<uint8_t>(vr[0]));
    out.push_back(static_cast<uint8_t>(vr[1]));
    const bool long_form = vr == "OB" || vr == "OW" || vr == "SQ" || vr == "UN" || vr == "UT";
    if (long_form) {
      put16(out, 0);
      put32(out, undefined_length ? 0xFFFFFFFFu : static_cast<uint32_t>(value.size()));
    } else {
      put16(out, static_cast<uint16_t>(value.size()));
    }
    out.insert(out.end(), value.begin(), value.end());
  }
  static void put16(std::vector<uint8_t>& out, uint16_t v) {
    out.insert(out.end(), {uint8_t(v & 0xFF), uint8_t(v >> 8)});
  }
  static void put32(std::vector<uint8_t>& out, uint32_t v) {
    out.insert(out.end(), {uint8_t(v), uint8_t(v >> 8), uint8_t(v >> 16), uint8_t(v >> 24)});
  }

 private:
  std::map<Tag, std::pair<std::string, std::vector<uint8_t>>> elements_;
};

// What a synthetic image holds. `values` are the raw words (for 16 bits, the whole 16-bit word, so
// bits above Bits Stored can be set), frame after frame, interleaved for RGB.
struct SyntheticDicom {
  int rows = 2, cols = 2, frames = 1, samples = 1;
  int bits_allocated = 16, bits_stored = 16;
  bool is_signed = false;
  std::string photometric = "MONOCHROME2";
  std::string modality = "OT";
  std::vector<uint16_t> values;
  std::string slope, intercept;         // empty: none
  std::string center, width, function;  // empty: none
  DicomLut voi_lut;                     // used when it has data
  std::string transfer_syntax = "1.2.840.10008.1.2.1";
  std::vector<uint8_t> fragment;  // encapsulated pixel data (compressed syntaxes) instead of values
};

inline std::vector<uint8_t> dicom_bytes(const SyntheticDicom& s) {
  DicomWriter w;
  w.transfer_syntax = s.transfer_syntax;
  w.text(0x0008, 0x0016, "UI", "1.2.840.10008.5.1.4.1.1.7");
  w.text(0x0008, 0x0018, "UI", "1.2.826.0.1.3680043.10.1045.1");
  w.text(0x0008, 0x0060, "CS", s.modality);
  w.us(0x0028, 0x0002, {uint16_t(s.samples)});
  w.text(0x0028, 0x0004, "CS", s.photometric);
  if (s.frames > 1) w.text(0x0028, 0x0008, "IS", std::to_string(s.frames));
  if (s.samples == 3) w.us(0x0028, 0x0006, {0});
  w.us(0x0028, 0x0010, {uint16_t(s.rows)});
  w.us(0x0028, 0x0011, {uint16_t(s.cols)});
  w.us(0x0028, 0x0100, {uint16_t(s.bits_allocated)});
  w.us(0x0028, 0x0101, {uint16_t(s.bits_stored)});
  w.us(0x0028, 0x0102, {uint16_t(s.bits_stored - 1)});
  w.us(0x0028, 0x0103, {uint16_t(s.is_signed ? 1 : 0)});
  if (!s.center.empty()) w.text(0x0028, 0x1050, "DS", s.center);
  if (!s.width.empty()) w.text(0x0028, 0x1051, "DS", s.width);
  if (!s.intercept.empty()) w.text(0x0028, 0x1052, "DS", s.intercept);
  if (!s.slope.empty()) w.text(0x0028, 0x1053, "DS", s.slope);
  if (!s.function.empty()) w.text(0x0028, 0x1056, "CS", s.function);
  if (!s.voi_lut.data.empty()) {  // VOI LUT Sequence, one item, undefined lengths
    std::vector<uint8_t> item;
    std::vector<uint8_t> descriptor, data;
    for (uint16_t v :
         {uint16_t(s.voi_lut.data.size()), uint16_t(s.voi_lut.first_mapped), uint16_t(s.voi_lut.bits)})
      DicomWriter::put16(descriptor, v);
    for (uint16_t v : s.voi_lut.data) DicomWriter::put16(data, v);
    DicomWriter::append(item, 0x0028, 0x3002, "US", descriptor);
    DicomWriter::append(item, 0x0028, 0x3006, "OW", data);
    std::vector<uint8_t> sequence;
    DicomWriter::append(sequence, 0x0028, 0x3010, "SQ", {}, /*undefined_length=*/true);
    DicomWriter::put16(sequence, 0xFFFE), DicomWriter::put16(sequence, 0xE000),
        DicomWriter::put32(sequence, 0xFFFFFFFFu);
    sequence.insert(sequence.end(), item.begin(), item.end());
    DicomWriter::put16(sequence, 0xFFFE), DicomWriter::put16(sequence, 0xE00D),
        DicomWriter::put32(sequence, 0);
    DicomWriter::put16(sequence, 0xFFFE), DicomWriter::put16(sequence, 0xE0DD),
        DicomWriter::put32(sequence, 0);
    w.raw(0x0028, 0x3010, sequence);
  }
  if (!s.fragment.empty()) {  // encapsulated: an empty offset table, one fragment, a delimiter
    std::vector<uint8_t> pixels;
    DicomWriter::append(pixels, 0x7FE0, 0x0010, "OB", {}, /*undefined_length=*/true);
    DicomWriter::put16(pixels, 0xFFFE), DicomWriter::put16(pixels, 0xE000), DicomWriter::put32(pixels, 0);
    std::vector<uint8_t> fragment = s.fragment;
    if (fragment.size() % 2) fragment.push_back(0);
    DicomWriter::put16(pixels, 0xFFFE), DicomWriter::put16(pixels, 0xE000);
    DicomWriter::put32(pixels, static_cast<uint32_t>(fragment.size()));
    pixels.insert(pixels.end(), fragment.begin(), fragment.end());
    DicomWriter::put16(pixels, 0xFFFE), DicomWriter::put16(pixels, 0xE0DD), DicomWriter::put32(pixels, 0);
    w.raw(0x7FE0, 0x0010, pixels);
  } else {
    std::vector<uint8_t> pixels;
    for (uint16_t v : s.values) {
      if (s.bits_allocated == 8)
        pixels.push_back(static_cast<uint8_t>(v));
      else
        DicomWriter::put16(pixels, v);
    }
    if (pixels.size() % 2) pixels.push_back(0);
    w.put(0x7FE0, 0x0010, s.bits_allocated == 8 ? "OB" : "OW", pixels);
  }
  return w.bytes();
}

}  // namespace softvit::testing
