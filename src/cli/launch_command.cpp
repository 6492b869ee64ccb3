// softvit launch --nproc-per-node N [--nnodes M --node-rank R --master ADDR:PORT] -- COMMAND ...
// Starts N ranks of `softvit COMMAND ...` on this machine with the variables torchrun sets (RANK,
// WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT, GROUP_RANK) and supervises
// them (process_supervisor.h). With several machines, run it on each with its --node-rank and the
// same --master (rank 0's machine, a port free there).
#include <unistd.h>

#include <cstdlib>
#include <thread>

#include "cli/commands.h"
#include "cli/process_supervisor.h"
#include "core/error.h"
#include "core/strings.h"
#include "dist/env.h"
#include "log/log.h"

namespace softvit::cli {
namespace {

struct Args {
  int nproc_per_node = 1, nnodes = 1, node_rank = 0;
  std::string master;
  double grace_s = 10;
  std::vector<std::string> command;
};

std::pair<std::string, int> master_of(const Args& a) {
  if (a.master.empty()) {
    if (a.nnodes > 1)
      throw ConfigError("softvit launch: --nnodes > 1 needs --master ADDR:PORT (rank 0's machine)");
    return {"127.0.0.1", dist::free_local_port()};
  }
  const auto colon = a.master.rfind(':');
  if (colon == std::string::npos || colon == 0)
    throw ConfigError(cat("softvit launch: --master '", a.master, "' is not ADDR:PORT"));
  char* end = nullptr;
  const long port = std::strtol(a.master.c_str() + colon + 1, &end, 10);
  if (*end != '\0' || port < 1 || port > 65535)
    throw ConfigError(cat("softvit launch: --master '", a.master, "' has no port in 1..65535"));
  return {a.master.substr(0, colon), static_cast<int>(port)};
}

int launch(const Args& a) {
  if (a.command.empty())
    throw ConfigError(
        "softvit launch: nothing to run; e.g. softvit launch --nproc-per-node 2 -- train --config F");
  if (a.nproc_per_node < 1 || a.nnodes < 1 || a.node_rank < 0 || a.node_rank >= a.nnodes)
    throw ConfigError(cat("softvit launch: --nproc-per-node ", a.nproc_per_node, " --nnodes ", a.nnodes,
                          " --node-rank ", a.node_rank, " is not a valid layout"));
  const auto [addr, port] = master_of(a);
  const int world = a.nnodes * a.nproc_per_node;
  const char* omp = std::getenv("OMP_NUM_THREADS");
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  char exe[4096];  // this binary; the children run it again
  const ssize_t exe_length = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (exe_length <= 0) throw Error("softvit launch: cannot read /proc/self/exe");
  std::vector<RankSpec> ranks;
  for (int local = 0; local < a.nproc_per_node; ++local) {
    RankSpec r;
    r.rank = a.node_rank * a.nproc_per_node + local;
    r.argv = {std::string(exe, static_cast<size_t>(exe_length))};
    r.argv.insert(r.argv.end(), a.command.begin(), a.command.end());
    r.env = {{"RANK", std::to_string(r.rank)},
             {"WORLD_SIZE", std::to_string(world)},
             {"LOCAL_RANK", std::to_string(local)},
             {"LOCAL_WORLD_SIZE", std::to_string(a.nproc_per_node)},
             {"GROUP_RANK", std::to_string(a.node_rank)},
             {"MASTER_ADDR", addr},
             {"MASTER_PORT", std::to_string(port)}};
    // As torchrun: ranks share the cores unless told otherwise.
    if (!omp) r.env.emplace_back("OMP_NUM_THREADS", std::to_string(std::max(1, cores / a.nproc_per_node)));
    ranks.push_back(std::move(r));
  }
  log::info(cat("launching ", a.nproc_per_node, " ranks (", ranks.front().rank, "..", ranks.back().rank,
                " of ", world, "), store at ", addr, ":", port, ": softvit ", join(a.command, " ")));
  SupervisorOptions options;
  options.grace_s = a.grace_s;
  const int status = supervise(ranks, options);
  if (status == 0) log::info("launch: every rank finished");
  return status;
}

}  // namespace

void add_launch_command(CLI::App& app) {
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("launch", "run a softvit command as several ranks (data-parallel training)");
  cmd->add_option("--nproc-per-node", args->nproc_per_node, "ranks on this machine (one per GPU)")
      ->required();
  cmd->add_option("--nnodes", args->nnodes, "machines in the job");
  cmd->add_option("--node-rank", args->node_rank, "this machine's index, 0..nnodes-1");
  cmd->add_option("--master", args->master,
                  "ADDR:PORT of rank 0's store (default: 127.0.0.1 and a free port)");
  cmd->add_option("--grace", args->grace_s, "seconds between SIGTERM and SIGKILL when a rank fails");
  cmd->add_option("command", args->command, "the softvit command each rank runs, after --")->required();
  cmd->callback([args] {
    const int status = launch(*args);
    if (status != 0) std::exit(status);
  });
}

}  // namespace softvit::cli
