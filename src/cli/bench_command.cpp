// softvit bench <what>: speed measurements; each subcommand lives in its own file.
#include "cli/commands.h"

namespace softvit::cli {

void add_bench_command(CLI::App& app) {
  auto* bench = app.add_subcommand("bench", "measure the speed of parts of softvit");
  bench->require_subcommand(1);
  add_bench_loader_command(*bench);
}

}  // namespace softvit::cli
