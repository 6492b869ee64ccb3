// dist.*: data-parallel training over several processes (softvit launch, torchrun, srun), used only
// when the environment says WORLD_SIZE > 1.
// Files that read only this section include this header, not core/config.h, so that an option
// added to another section does not recompile them. The fields come from dist_options.inc.
#pragma once
#include <string>
#include <vector>

namespace softvit {

struct DistSection {
#define SOFTVIT_OPTION(type, name, limit, help, ...) type name = __VA_ARGS__;
#include "core/config/dist_options.inc"
#undef SOFTVIT_OPTION
};

}  // namespace softvit
