// The DICOM reader of a build without GDCM (src/data/dicom/dicom_reader_none.cpp), built and run in
// every build (CTest: dicom_without_gdcm), so the message is checked where GDCM is installed too.
#include <cstdio>
#include <string>
#include <vector>

#include "core/error.h"
#include "data/dicom/dicom_image.h"

int main() {
  using namespace softvit;
  if (dicom_supported()) {
    std::puts("dicom_supported() is true in the build without GDCM");
    return 1;
  }
  const std::vector<uint8_t> bytes(132, 0);
  for (auto read : {+[](const std::vector<uint8_t>& b) { read_dicom(b, "ward/scan.dcm", true); },
                    +[](const std::vector<uint8_t>& b) { read_dicom_info(b, "ward/scan.dcm"); }}) {
    try {
      read(bytes);
      std::puts("no error for a .dcm file in the build without GDCM");
      return 1;
    } catch (const DataError& e) {
      const std::string message = e.what();
      if (message.find("ward/scan.dcm") == std::string::npos ||
          message.find("built without DICOM support") == std::string::npos) {
        std::printf("unexpected message: %s\n", message.c_str());
        return 1;
      }
    }
  }
  std::puts("1 passed, 0 failed");
  return 0;
}
