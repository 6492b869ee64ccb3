// read_dicom in a build without GDCM (SOFTVIT_DICOM=OFF, or AUTO where it was not found): every
// DICOM file is an error that says so.
#include "core/error.h"
#include "data/dicom/dicom_image.h"

namespace softvit {
namespace {

[[noreturn]] void unsupported(const std::string& name) {
  throw DataError(name +
                  ": softvit was built without DICOM support (GDCM was not found or SOFTVIT_DICOM=OFF): "
                  "install libgdcm-dev (scripts/setup.sh does) and rebuild, or convert the files to PNG");
}

}  // namespace

bool dicom_supported() { return false; }

DicomImage read_dicom(const std::vector<uint8_t>&, const std::string& name, bool) { unsupported(name); }

DicomInfo read_dicom_info(const std::vector<uint8_t>&, const std::string& name) { unsupported(name); }

}  // namespace softvit
