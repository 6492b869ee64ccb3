// DICOM transfer syntaxes: which softvit reads, their names, and the one a file's meta header
// declares (read here, so that an unsupported syntax is named even where the library cannot parse
// the file).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace softvit {

struct TransferSyntax {
  const char* uid;
  const char* name;
  bool supported;  // decoded by softvit's reader (GDCM with Debian's codecs)
  bool lossy;      // may be lossy (compared with a tolerance in the reference test)
};

// The syntax of `uid`, or nullptr for one not in the table (not supported).
const TransferSyntax* find_transfer_syntax(const std::string& uid);
// "1.2.840.10008.1.2.4.50 (JPEG Baseline (Process 1))", or the UID alone when unknown.
std::string describe_transfer_syntax(const std::string& uid);
// The supported syntaxes, for messages and docs: "Implicit VR Little Endian, ...".
std::string supported_transfer_syntaxes();

// The Transfer Syntax UID (0002,0010) of a DICOM file that has a preamble and meta header
// ("DICM" at byte 128), without padding; "" when the bytes have none. Reads at most the meta group.
std::string meta_transfer_syntax(const std::vector<uint8_t>& bytes);

// "DICM" at byte 128: a DICOM Part 10 file.
bool has_dicom_preamble(const std::vector<uint8_t>& bytes);
// .dcm or .dicom (any case).
bool has_dicom_extension(const std::string& name);

}  // namespace softvit
