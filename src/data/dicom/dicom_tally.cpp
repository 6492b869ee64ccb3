#include "data/dicom/dicom_tally.h"

#include <algorithm>
#include <utility>

#include "core/error.h"
#include "core/strings.h"
#include "data/dicom/dicom_decode.h"
#include "data/dicom/dicom_image.h"

namespace softvit {
namespace {

// "CT (10), MR (2)": the most frequent first.
std::string counts(const std::map<std::string, int64_t>& m) {
  std::vector<std::pair<int64_t, std::string>> sorted;
  for (const auto& [name, n] : m) sorted.push_back({-n, name});
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::string> parts;
  for (const auto& [n, name] : sorted) parts.push_back(cat(name.empty() ? "(none)" : name, " (", -n, ")"));
  return join(parts, ", ");
}

}  // namespace

void DicomTally::add(const DicomInfo& info) {
  ++files;
  ++modality[info.modality];
  ++bit_depth[cat(info.bits_stored, " of ", info.bits_allocated, " bits, ",
                  info.is_signed ? "signed" : "unsigned")];
  ++photometric[info.photometric];
  ++transfer_syntax[info.transfer_syntax_name == "unknown" ? info.transfer_syntax_uid
                                                           : info.transfer_syntax_name];
}

void DicomTally::add_if_dicom(const std::vector<uint8_t>& bytes, const std::string& name) {
  if (bytes.empty() || !is_dicom(bytes, name) || !dicom_supported()) return;
  try {
    add(read_dicom_info(bytes, name));
  } catch (const DataError&) {
  }
}

void DicomTally::merge(const DicomTally& other) {
  files += other.files;
  for (const auto& [k, n] : other.modality) modality[k] += n;
  for (const auto& [k, n] : other.bit_depth) bit_depth[k] += n;
  for (const auto& [k, n] : other.photometric) photometric[k] += n;
  for (const auto& [k, n] : other.transfer_syntax) transfer_syntax[k] += n;
}

void DicomTally::print(std::ostream& out) const {
  if (files == 0) return;
  out << "  DICOM: " << files << " file" << (files == 1 ? "" : "s") << "\n";
  out << "    modality: " << counts(modality) << "\n";
  out << "    bit depth (stored of allocated): " << counts(bit_depth) << "\n";
  out << "    photometric interpretation: " << counts(photometric) << "\n";
  out << "    transfer syntax: " << counts(transfer_syntax) << "\n";
}

}  // namespace softvit
