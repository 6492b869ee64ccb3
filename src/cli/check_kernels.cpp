// softvit check kernels: the fused CUDA kernels (src/kernels) against the reference paths, on the
// GPU. Each kernel's check lives beside it (src/kernels/<kernel>_check.cpp, listed in
// kernels/check_registry.cpp); this command runs them in order, for random inputs of awkward sizes,
// fp32 and bf16:
//   - error of the fused result against the reference path run in fp64 on the same (rounded) inputs,
//     forward and backward, with the fp32 reference path's own error beside it for context;
//   - every output element written: the fused launches run with NaN-poisoned output buffers
//     (kernels/output_poison.h), so an element a kernel skips stays NaN;
//   - median times (CUDA events) of fused against the fp32/bf16 reference path, and the speed-up;
//   - one SOFT attention layer end to end (fused against reference, both against fp64).
// Prints a table, writes the rows as JSON with --json, and exits non-zero when any row fails.
// --quick: the small kernel cases only (for compute-sanitizer); --cpu-dry-run: the checks
// themselves on the CPU, the reference paths standing in for the fused kernels (a CI test runs it);
// --list: the registered checks.
#include <torch/cuda.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "cli/commands.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/strings.h"
#include "kernels/check_registry.h"
#include "kernels/gaussian_kernel.h"

namespace softvit::cli {
namespace {

using kernels::check::Row;

struct Args {
  std::string json;
  int repeats = 20;
  bool quick = false;  // the small kernel cases only: no timing, no layer (for compute-sanitizer)
  bool cpu_dry_run = false;
  bool list = false;
};

std::string number(double x, const char* format) {
  if (std::isnan(x)) return "-";
  char text[32];
  std::snprintf(text, sizeof text, format, x);
  return text;
}

void print_rows(const std::vector<Row>& rows) {
  std::printf("%-14s %-30s %-14s %10s %9s %10s %7s %9s %9s %7s %s\n", "kernel", "shape", "dtype", "error",
              "bound", "ref32 err", "written", "fused ms", "ref ms", "speedup", "result");
  for (const auto& r : rows)
    std::printf("%-14s %-30s %-14s %10s %9s %10s %7s %9s %9s %7s %s\n", r.kernel.c_str(), r.shape.c_str(),
                r.dtype.c_str(), number(r.error, "%.2e").c_str(), number(r.bound, "%.0e").c_str(),
                number(r.reference_error, "%.2e").c_str(), r.written ? "all" : "NO",
                number(r.fused_ms, "%.3f").c_str(), number(r.reference_ms, "%.3f").c_str(),
                number(r.reference_ms / r.fused_ms, "%.2fx").c_str(), r.pass ? "ok" : "FAIL");
  std::fflush(stdout);
}

void list_checks() {
  std::printf("%-16s %-16s %s\n", "check", "kernel", "what");
  for (const auto& c : kernels::check::kernel_checks())
    std::printf("%-16s %-16s %s\n", c.name.c_str(), c.kernel.empty() ? "-" : c.kernel.c_str(),
                c.what.c_str());
  std::fflush(stdout);
}

void run(const Args& a) {
  if (a.list) {
    list_checks();
    return;
  }
  kernels::check::Target target;
  target.repeats = a.repeats;
  target.quick = a.quick;
  if (a.cpu_dry_run) {
    target.dry_run = true;
    target.device = torch::kCPU;
  } else if (!kernels::cuda_kernels_compiled()) {
    throw ConfigError("check kernels: this build has no CUDA kernels (nvcc was not found at configure time)");
  } else if (!torch::cuda::is_available()) {
    throw ConfigError("check kernels: no CUDA device");
  }
  torch::manual_seed(0);
  std::vector<Row> rows;
  for (const auto& check : kernels::check::kernel_checks()) check.run(target, rows);
  print_rows(rows);

  const auto failed = std::count_if(rows.begin(), rows.end(), [](const Row& r) { return !r.pass; });
  if (!a.json.empty()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : rows)
      out.push_back({{"kernel", r.kernel},
                     {"shape", r.shape},
                     {"dtype", r.dtype},
                     {"error", r.error},
                     {"bound", r.bound},
                     {"reference_error", r.reference_error},
                     {"written", r.written},
                     {"fused_ms", r.fused_ms},
                     {"reference_ms", r.reference_ms},
                     {"pass", r.pass}});
    write_file_atomic(a.json, out.dump(2) + "\n");
  }
  std::printf("%zu checks, %lld failed\n", rows.size(), static_cast<long long>(failed));
  if (failed > 0) throw TrainError(cat("check kernels: ", failed, " of ", rows.size(), " checks failed"));
}

}  // namespace

void add_check_command(CLI::App& app) {
  auto* check = app.add_subcommand("check", "correctness checks that need the GPU");
  check->require_subcommand(1);
  auto args = std::make_shared<Args>();
  auto* cmd = check->add_subcommand(
      "kernels", "fused CUDA kernels against the reference paths (errors, coverage, speed)");
  cmd->add_option("--json", args->json, "also write the rows as JSON here");
  cmd->add_option("--repeats", args->repeats, "timed repeats per measurement (median)")
      ->check(CLI::Range(1, 1000));
  cmd->add_flag("--quick", args->quick,
                "small kernel cases only, no timing and no layer (for compute-sanitizer)");
  cmd->add_flag("--cpu-dry-run", args->cpu_dry_run,
                "self-test of this check on the CPU: the reference paths stand in for the fused kernels");
  cmd->add_flag("--list", args->list, "list the registered checks (src/kernels/*_check.cpp) and exit");
  cmd->callback([args] { run(*args); });
  add_check_decode_command(*check);
}

}  // namespace softvit::cli
