// The typed run configuration: one struct per section, each made from that section's option
// declarations (core/config/<section>_options.inc: type, name, limit, help and default in one line
// each). Loading, overrides, validation and the YAML dump all go through the table options.cpp
// builds from the same declarations. A file that reads one section includes only its header.
#pragma once
#include <string>
#include <vector>

#include "core/config/checkpoint_section.h"
#include "core/config/data_section.h"
#include "core/config/dist_section.h"
#include "core/config/eval_section.h"
#include "core/config/model_section.h"
#include "core/config/optim_section.h"
#include "core/config/run_section.h"
#include "core/config/schedule_section.h"
#include "core/config/train_section.h"

namespace softvit {

struct RunConfig {
  RunSection run;
  ModelSection model;
  DataSection data;
  TrainSection train;
  CheckpointSection checkpoint;
  OptimSection optim;
  ScheduleSection schedule;
  EvalSection eval;
  DistSection dist;
};

// Reads `file` (following `include:`), then applies `overrides` ("key=value", value in YAML).
// Throws ConfigError naming the key, the file and line, and the closest valid key.
RunConfig load_config(const std::string& file, const std::vector<std::string>& overrides = {});

// Same from YAML text (e.g. the config saved in a checkpoint); `origin` names it in errors.
RunConfig parse_config(const std::string& yaml_text, const std::string& origin,
                       const std::vector<std::string>& overrides = {});

// The whole configuration as YAML; with_help adds each option's help as a comment.
std::string to_yaml(const RunConfig& config, bool with_help = false);

// Rejects values outside an option's declared limit, naming the key, and combinations of options
// that make no sense together.
void validate(const RunConfig& config);

}  // namespace softvit
