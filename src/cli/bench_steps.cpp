// softvit bench train|infer: img/s, ms per step and peak memory of a model, by resolution.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>

#include "cli/commands.h"
#include "core/atomic_file.h"
#include "core/config.h"
#include "core/strings.h"
#include "dist/data_parallel.h"
#include "models/registry.h"
#include "train/device.h"
#include "train/step_benchmark.h"

namespace softvit::cli {
namespace {

struct Args {
  std::string model = "deit_tiny", device = "cuda", precision = "bf16", json;
  std::vector<std::string> overrides;
  int64_t batch = 128, img_size = 224, warmup = 10, steps = 50, classes = 1000;
  std::vector<int64_t> sweep;
  bool channels_last = false;
  std::string profile;
  bool cuda_graph = false;
};

// One table row: a model built fresh, so that each row starts from the same memory. Under the
// launcher every rank runs it; rank 0 prints the row with the aggregate throughput.
void bench_row(const Args& a, const std::string& mode, int64_t px, bool cuda_graph,
               const std::string& profile, dist::DataParallel& dp, nlohmann::json& rows) {
  RunConfig config = parse_config("{}", "bench", a.overrides);
  config.model.name = a.model;
  config.model.num_classes = static_cast<int>(a.classes);
  ModelPtr model = build_model(config.model, a.classes, 3);
  StepBenchmarkOptions o;
  o.mode = mode;
  o.batch_size = a.batch;
  o.img_size = px;
  o.bf16 = a.precision == "bf16";
  o.channels_last = a.channels_last;
  o.cuda_graph = cuda_graph;
  o.warmup_steps = a.warmup;
  o.steps = a.steps;
  o.device = dp.device().str();
  if (!profile.empty()) {
    o.profile_steps = std::min<int64_t>(a.steps, 10);
    o.profile_trace = profile;
  }
  if (dp.active()) {
    model->to(dp.device());
    dp.sync_model(*model);
    if (mode == "train") {
      dp.reduce_gradients_of(*model);
      o.before_forward = [&dp] { dp.before_forward(); };
      o.before_backward = [&dp](const torch::Tensor& loss) { dp.before_backward(loss, /*reduce=*/true); };
    }
  }
  auto r = benchmark_steps(*model, o);
  const std::vector<double> per_rank = dp.all_values(r.img_s);
  r.img_s = 0;
  for (double v : per_rank) r.img_s += v;
  if (!dp.is_main()) return;
  std::string step = "-";  // train: how the steps ran (a graph request may fall back to eager)
  if (mode == "train")
    step = (r.out_of_memory ? cuda_graph : r.step_kind == "cuda_graph") ? "graph" : "eager";
  if (r.out_of_memory)
    std::printf("%-6s %-16s %5lld %6lld %6s %-6s %10s %10s %9s\n", mode.c_str(), a.model.c_str(),
                (long long)px, (long long)a.batch, a.precision.c_str(), step.c_str(), "OOM", "-", "-");
  else
    std::printf("%-6s %-16s %5lld %6lld %6s %-6s %10.1f %10.2f %9.2f\n", mode.c_str(), a.model.c_str(),
                (long long)px, (long long)a.batch, a.precision.c_str(), step.c_str(), r.img_s, r.ms_per_step,
                r.peak_gib);
  if (dp.active()) {
    std::string ranks;
    for (size_t i = 0; i < per_rank.size(); ++i)
      ranks += cat(i ? ", " : "", "rank ", i, " ", fixed(per_rank[i], 1));
    std::printf("  %d ranks: %s img/s; aggregate %.1f img/s (global batch %lld)\n", dp.world_size(),
                ranks.c_str(), r.img_s, static_cast<long long>(a.batch * dp.world_size()));
  }
  if (!r.profile.empty()) std::printf("%s", r.profile.c_str());
  std::fflush(stdout);
  rows.push_back({{"mode", mode},
                  {"model", a.model},
                  {"img_size", px},
                  {"batch", a.batch},
                  {"precision", a.precision},
                  {"device", o.device},
                  {"step", step},
                  {"channels_last", a.channels_last},
                  {"world_size", dp.world_size()},
                  {"per_rank_img_s", per_rank},
                  {"img_s", r.img_s},
                  {"ms_per_step", r.ms_per_step},
                  {"peak_gib", r.peak_gib},
                  {"oom", r.out_of_memory}});
}

void run(const Args& a, const std::string& mode) {
  // Under softvit launch (WORLD_SIZE > 1) every rank times its own steps, with gradients averaged
  // over the ranks as in training; rank 0 prints per-rank and aggregate throughput.
  const RunConfig defaults = parse_config("{}", "bench", a.overrides);
  dist::DataParallel dp(defaults.dist, parse_device(a.device),
                        cat(mode, " ", a.model, " ", a.batch, " ", a.precision, " ", join(a.overrides, " ")));
  set_threads(dp.threads(0));
  const bool main = dp.is_main();
  const std::vector<int64_t> sizes = a.sweep.empty() ? std::vector<int64_t>{a.img_size} : a.sweep;
  nlohmann::json rows = nlohmann::json::array();
  if (main)
    std::printf("%-6s %-16s %5s %6s %6s %-6s %10s %10s %9s\n", "mode", "model", "px", "batch", "prec", "step",
                "img/s", "ms/step", "peak GiB");
  for (int64_t px : sizes) {
    // Each profiled row writes its own trace: FILE, or FILE.<px>px[.graph].json for several rows.
    auto trace = [&](bool graph) {
      if (a.profile.empty()) return std::string();
      if (sizes.size() == 1 && !a.cuda_graph) return a.profile;
      return cat(a.profile, ".", px, "px", graph ? ".graph" : "", ".json");
    };
    bench_row(a, mode, px, /*cuda_graph=*/false, trace(false), dp, rows);
    if (a.cuda_graph && mode == "train") bench_row(a, mode, px, /*cuda_graph=*/true, trace(true), dp, rows);
  }
  if (main && !a.json.empty()) write_file_atomic(a.json, rows.dump(2) + "\n");
}

void add_steps_command(CLI::App& bench, const std::string& mode, const std::string& help) {
  auto args = std::make_shared<Args>();
  auto* cmd = bench.add_subcommand(mode, help);
  cmd->add_option("--model", args->model, "registered model");
  cmd->add_option("--batch", args->batch, "batch size");
  cmd->add_option("--img-size", args->img_size, "resolution");
  cmd->add_option("--sweep-res", args->sweep, "several resolutions, e.g. 224,448,896,1344")->delimiter(',');
  cmd->add_option("--precision", args->precision, "fp32 | bf16 (autocast on CUDA)");
  cmd->add_option("--device", args->device, "cpu | cuda | cuda:N");
  cmd->add_option("--warmup", args->warmup, "untimed steps first");
  cmd->add_option("--steps", args->steps, "timed steps");
  cmd->add_option("--classes", args->classes, "classes of the head");
  cmd->add_flag("--channels-last", args->channels_last, "conv weights and images in channels-last layout");
  if (mode == "train")
    cmd->add_flag("--cuda-graph", args->cuda_graph,
                  "also time the step replayed as a CUDA graph (a second row)");
  cmd->add_option("--set", args->overrides, "model overrides, e.g. model.attention=soft (repeatable)");
  cmd->add_option("--json", args->json, "also write the rows as JSON here");
  cmd->add_option("--profile", args->profile,
                  "after timing, profile up to 10 steps: print the top kernels, write a Chrome trace here");
  cmd->callback([args, mode] { run(*args, mode); });
}

}  // namespace

void add_bench_steps_commands(CLI::App& bench) {
  add_steps_command(bench, "train", "time training steps (forward, backward, AdamW) on synthetic data");
  add_steps_command(bench, "infer", "time inference steps on synthetic data");
}

}  // namespace softvit::cli
