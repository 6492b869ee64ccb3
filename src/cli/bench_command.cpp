// softvit bench: micro-benchmarks, one subcommand each (attention, ...).
#include "cli/commands.h"

namespace softvit::cli {

void add_bench_command(CLI::App& app) {
  auto* bench = app.add_subcommand("bench", "micro-benchmarks");
  bench->require_subcommand(1);
  add_bench_attention_command(*bench);
}

}  // namespace softvit::cli
