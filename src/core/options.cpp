// The table of every option: each section's declarations (core/config/*_options.inc) expanded into
// the schema's key, help, type, default and limit. Nothing here names an option by hand.
#include "core/config_schema.h"
#include "core/option_limits.h"

namespace softvit {
namespace {

#define SOFTVIT_STRINGIFY_(x) #x
#define SOFTVIT_STRINGIFY(x) SOFTVIT_STRINGIFY_(x)
// clang-format off
#define SOFTVIT_OPTION(type, name, limit, help, ...)                                          \
  s.add(SOFTVIT_STRINGIFY(SOFTVIT_SECTION) "." #name,                                        \
        [](RunConfig & c) -> auto& { return c.SOFTVIT_SECTION.name; }, help, limit);
// clang-format on

Schema build_schema() {
  using namespace limits;
  Schema s;
#define SOFTVIT_SECTION run
#include "core/config/run_options.inc"
#undef SOFTVIT_SECTION
#define SOFTVIT_SECTION model
#include "core/config/model_options.inc"
#undef SOFTVIT_SECTION
#define SOFTVIT_SECTION data
#include "core/config/data_options.inc"
#undef SOFTVIT_SECTION
#define SOFTVIT_SECTION train
#include "core/config/train_options.inc"
#undef SOFTVIT_SECTION
#define SOFTVIT_SECTION checkpoint
#include "core/config/checkpoint_options.inc"
#undef SOFTVIT_SECTION
#define SOFTVIT_SECTION optim
#include "core/config/optim_options.inc"
#undef SOFTVIT_SECTION
#define SOFTVIT_SECTION schedule
#include "core/config/schedule_options.inc"
#undef SOFTVIT_SECTION
#define SOFTVIT_SECTION eval
#include "core/config/eval_options.inc"
#undef SOFTVIT_SECTION
#define SOFTVIT_SECTION dist
#include "core/config/dist_options.inc"
#undef SOFTVIT_SECTION
  return s;
}

#undef SOFTVIT_OPTION
#undef SOFTVIT_STRINGIFY
#undef SOFTVIT_STRINGIFY_

}  // namespace

const Schema& schema() {
  static const Schema instance = build_schema();
  return instance;
}

}  // namespace softvit
