// softvit bench <what>: one parent command; each benchmark adds itself as a subcommand.
#include "cli/commands.h"

namespace softvit::cli {

void add_bench_command(CLI::App& app) {
  auto* bench = app.add_subcommand("bench", "benchmarks: throughput and memory");
  bench->require_subcommand(1);
  add_bench_steps_commands(*bench);
  add_bench_attention_command(*bench);
  add_bench_loader_command(*bench);
}

}  // namespace softvit::cli
