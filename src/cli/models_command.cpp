// softvit models: every registered model with its parameter count.
#include <iostream>

#include "cli/commands.h"
#include "core/strings.h"
#include "models/registry.h"

namespace softvit::cli {

void add_models_command(CLI::App& app) {
  auto classes = std::make_shared<int>(1000);
  auto* cmd = app.add_subcommand("models", "list registered models with their parameter counts");
  cmd->add_option("--num-classes", *classes, "classes of the head when counting parameters");
  cmd->callback([classes] {
    std::cout << "model                    px  params      description\n";
    for (const auto& info : registered_models()) {
      ModelSection section;
      section.name = info.name;
      const auto model = build_model(section, *classes, info.in_chans);
      char line[256];
      std::snprintf(line, sizeof line, "%-22s %4lld  %10lld  %s\n", info.name.c_str(),
                    static_cast<long long>(info.img_size), static_cast<long long>(count_parameters(*model)),
                    info.description.c_str());
      std::cout << line;
    }
  });
}

}  // namespace softvit::cli
