// A DICOM file's first frame as stored values, with what is needed to display it. The only header
// of the reader: it does not show which library reads the file (GDCM, in dicom_reader_gdcm.cpp;
// dicom_reader_none.cpp where softvit is built without it).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace softvit {

// A VOI LUT (PS3.3 C.11.2.1.1): values below first_mapped take the first entry, above the last.
struct DicomLut {
  int64_t first_mapped = 0;
  int bits = 16;  // of each entry (the LUT Descriptor's third value)
  std::vector<uint16_t> data;
};

struct DicomInfo {
  std::string modality;                // (0008,0060), may be empty
  std::string photometric;             // as the file says: MONOCHROME1, MONOCHROME2, RGB, YBR_FULL, ...
  std::string transfer_syntax_uid;     // (0002,0010)
  std::string transfer_syntax_name;    // "Explicit VR Little Endian", ...
  int rows = 0, cols = 0, frames = 1;  // frames: Number of Frames (1 when absent)
  int samples = 1;                     // samples per pixel: 1 (grey) or 3 (colour)
  int bits_allocated = 0, bits_stored = 0;
  bool is_signed = false;                             // Pixel Representation 1
  double rescale_slope = 1, rescale_intercept = 0;    // 1 and 0 when the file has none
  std::vector<double> window_centers, window_widths;  // (0028,1050), (0028,1051), every value
  std::string voi_function = "LINEAR";                // (0028,1056): LINEAR | LINEAR_EXACT | SIGMOID
  bool has_voi_lut = false;                           // a VOI LUT Sequence (0028,3010)
  DicomLut voi_lut;                                   // its first item
};

struct DicomImage {
  DicomInfo info;
  // The first frame: rows x cols x samples values, interleaved (RGB for colour: YBR_FULL and
  // YBR_FULL_422 are converted, as PS3.3 C.7.6.3.1.2 gives), as stored: masked to Bits Stored and
  // sign-extended for signed data; no rescale yet.
  std::vector<int32_t> values;
};

// Whether this build reads DICOM (built with GDCM).
bool dicom_supported();

// Reads and decodes `bytes` (a whole DICOM file); `name` names the file in errors. A file of
// several frames is an error unless first_frame. Throws DataError naming the file and what is
// wrong: an unsupported transfer syntax (UID and name), photometric interpretation, bit depth, or
// pixel data that cannot be decoded; without DICOM support, says so.
DicomImage read_dicom(const std::vector<uint8_t>& bytes, const std::string& name, bool first_frame);

// The header only (no pixel data decoded): for data inspect.
DicomInfo read_dicom_info(const std::vector<uint8_t>& bytes, const std::string& name);

}  // namespace softvit
