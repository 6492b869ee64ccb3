// data.dicom.*: how DICOM files (.dcm) become 8-bit images. A subsection of data.*; the fields come
// from dicom_options.inc.
#pragma once
#include <string>
#include <vector>

#include "core/config/dicom_window.h"

namespace softvit {

struct DicomSection {
#define SOFTVIT_OPTION(type, name, limit, help, ...) type name = __VA_ARGS__;
#include "core/config/dicom_options.inc"
#undef SOFTVIT_OPTION
};

}  // namespace softvit
