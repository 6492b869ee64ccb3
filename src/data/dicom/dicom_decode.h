// The DICOM path of decode_image (data/decode.h): read, window, then the channels asked for.
#pragma once
#include <opencv2/core.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "core/config/data_section.h"
#include "data/sources/source.h"

namespace softvit {

// A DICOM file: "DICM" at byte 128, or a .dcm / .dicom name (files without the preamble).
bool is_dicom(const std::vector<uint8_t>& bytes, const std::string& name);

// data.dicom as decoder options.
DicomOptions dicom_options(const DataSection& data);

// H x W x options.channels uint8: grey replicated to RGB or RGB to grey as for any other image.
// Throws DataError naming `name` (and, where it applies, the transfer syntax or photometric
// interpretation), or saying that softvit was built without DICOM support.
cv::Mat decode_dicom(const std::vector<uint8_t>& bytes, const std::string& name,
                     const DecodeOptions& options);

}  // namespace softvit
