// softvit config --defaults | softvit config --config F [--set key=value ...]
#include <iostream>

#include "cli/commands.h"
#include "core/config.h"

namespace softvit::cli {

void add_config_command(CLI::App& app) {
  struct Args {
    bool defaults = false;
    std::string config;
    std::vector<std::string> overrides;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("config", "print every option with its default, or a resolved config");
  auto* defaults = cmd->add_flag("--defaults", args->defaults, "print every option, its default and help");
  cmd->add_option("-c,--config", args->config, "resolve this config file")->excludes(defaults);
  cmd->add_option("--set", args->overrides, "override an option: key=value (repeatable)");
  cmd->callback([args] {
    if (args->config.empty()) {
      RunConfig defaults_only;
      std::cout << to_yaml(
          args->overrides.empty() ? defaults_only : parse_config("{}", "defaults", args->overrides),
          /*with_help=*/true);
    } else {
      std::cout << to_yaml(load_config(args->config, args->overrides), /*with_help=*/true);
    }
  });
}

}  // namespace softvit::cli
