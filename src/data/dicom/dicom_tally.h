// What the DICOM files of a split hold, counted for `softvit data inspect`: modality, bit depth,
// photometric interpretation and transfer syntax.
#pragma once
#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

namespace softvit {

struct DicomInfo;

struct DicomTally {
  int64_t files = 0;
  std::map<std::string, int64_t> modality, bit_depth, photometric, transfer_syntax;

  void add(const DicomInfo& info);
  // Reads the header of `bytes` when they are a DICOM file (else does nothing); a header that
  // cannot be read is left to the decoder, which reports it.
  void add_if_dicom(const std::vector<uint8_t>& bytes, const std::string& name);
  void merge(const DicomTally& other);
  // "  DICOM: 12 files; modality CT (10), MR (2); bits ...", one line per field; nothing when empty.
  void print(std::ostream& out) const;
};

}  // namespace softvit
