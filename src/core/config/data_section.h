// data.*: the dataset, its decoding and transforms, and the loader.
// Files that read only this section include this header, not core/config.h, so that an option
// added to another section does not recompile them. The fields come from data_options.inc.
#pragma once
#include <string>
#include <vector>

#include "core/config/dicom_section.h"

namespace softvit {

struct DataSection {
#define SOFTVIT_OPTION(type, name, limit, help, ...) type name = __VA_ARGS__;
#define SOFTVIT_SUBSECTION(type, name, help) type name;
#include "core/config/data_options.inc"
#undef SOFTVIT_OPTION
#undef SOFTVIT_SUBSECTION
};

}  // namespace softvit
