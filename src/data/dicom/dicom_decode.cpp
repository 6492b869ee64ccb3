#include "data/dicom/dicom_decode.h"

#include "data/decode.h"
#include "data/dicom/dicom_image.h"
#include "data/dicom/dicom_syntax.h"
#include "data/dicom/dicom_window.h"

namespace softvit {

bool is_dicom(const std::vector<uint8_t>& bytes, const std::string& name) {
  return has_dicom_preamble(bytes) || has_dicom_extension(name);
}

DicomOptions dicom_options(const DataSection& data) {
  DicomOptions o;
  o.window = data.dicom.window.mode;
  o.center = data.dicom.window.center;
  o.width = data.dicom.window.width;
  o.first_frame = data.dicom.frames == "first";
  return o;
}

cv::Mat decode_dicom(const std::vector<uint8_t>& bytes, const std::string& name,
                     const DecodeOptions& options) {
  const DicomImage image = read_dicom(bytes, name, options.dicom.first_frame);
  return convert_pixels(dicom_to_8bit(image, options.dicom), options);
}

}  // namespace softvit
