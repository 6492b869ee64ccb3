// schedule.*: the learning-rate schedule.
// Files that read only this section include this header, not core/config.h, so that an option
// added to another section does not recompile them. The fields come from schedule_options.inc.
#pragma once
#include <string>
#include <vector>

namespace softvit {

struct ScheduleSection {
#define SOFTVIT_OPTION(type, name, limit, help, ...) type name = __VA_ARGS__;
#include "core/config/schedule_options.inc"
#undef SOFTVIT_OPTION
};

}  // namespace softvit
