// model.*: the registered model and overrides of its sizes, attention and starting weights.
// Files that read only this section include this header, not core/config.h, so that an option
// added to another section does not recompile them. The fields come from model_options.inc.
#pragma once
#include <string>
#include <vector>

namespace softvit {

struct ModelSection {
#define SOFTVIT_OPTION(type, name, limit, help, ...) type name = __VA_ARGS__;
#include "core/config/model_options.inc"
#undef SOFTVIT_OPTION
};

}  // namespace softvit
