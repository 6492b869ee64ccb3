// optim.*: the optimizer.
// Files that read only this section include this header, not core/config.h, so that an option
// added to another section does not recompile them. The fields come from optim_options.inc.
#pragma once
#include <string>
#include <vector>

namespace softvit {

struct OptimSection {
#define SOFTVIT_OPTION(type, name, limit, help, ...) type name = __VA_ARGS__;
#include "core/config/optim_options.inc"
#undef SOFTVIT_OPTION
};

}  // namespace softvit
