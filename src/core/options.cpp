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
// A nested section's options are expanded from its own file, with SOFTVIT_SECTION set to its path.
#define SOFTVIT_SUBSECTION(type, name, help)
// clang-format on

// data.dicom.window: a fixed window needs a width of at least 1 (DICOM's linear window function).
auto dicom_window() {
  return [](const DicomWindow& window) -> std::string {
    if (window.mode != "fixed" || window.width >= 1) return "";
    return cat("width must be at least 1 (DICOM's linear window), got ", window.width);
  };
}

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
#define SOFTVIT_SECTION data.dicom
#include "core/config/dicom_options.inc"
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
#undef SOFTVIT_SUBSECTION
#undef SOFTVIT_STRINGIFY
#undef SOFTVIT_STRINGIFY_

}  // namespace

const Schema& schema() {
  static const Schema instance = build_schema();
  return instance;
}

}  // namespace softvit
