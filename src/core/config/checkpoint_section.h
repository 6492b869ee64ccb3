// checkpoint.*: which checkpoints are kept.
// Files that read only this section include this header, not core/config.h, so that an option
// added to another section does not recompile them. The fields come from checkpoint_options.inc.
#pragma once
#include <string>
#include <vector>

namespace softvit {

struct CheckpointSection {
#define SOFTVIT_OPTION(type, name, limit, help, ...) type name = __VA_ARGS__;
#include "core/config/checkpoint_options.inc"
#undef SOFTVIT_OPTION
};

}  // namespace softvit
