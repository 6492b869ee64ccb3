// softvit models: every registered model with its parameter count and counted FLOPs (MACs).
#include <cstdio>
#include <iostream>

#include "cli/commands.h"
#include "cli/progress.h"
#include "core/strings.h"
#include "models/flops.h"
#include "models/registry.h"
#include "train/device.h"

namespace softvit::cli {

void add_models_command(CLI::App& app) {
  auto classes = std::make_shared<int>(1000);
  auto img_size = std::make_shared<int>(0);
  auto no_flops = std::make_shared<bool>(false);
  auto filter = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("models", "list registered models with parameter counts and FLOPs");
  cmd->add_option("--num-classes", *classes, "classes of the head");
  cmd->add_option("--img-size", *img_size, "resolution for the FLOPs; 0: each model's own");
  cmd->add_flag("--no-flops", *no_flops, "skip the counting forward pass (faster)");
  cmd->add_option("--filter", *filter, "only models whose name contains this text");
  // One thread by default: the counting passes are single images, whose small operators a team
  // of threads only slows down (20 models: 23 s on 1 thread, 5 min on 2 busy cores).
  auto threads = std::make_shared<int>(1);
  cmd->add_option("--threads", *threads, "intra-op threads for building and counting (0: all cores)");
  cmd->callback([classes, img_size, no_flops, filter, threads] {
    const int used = set_threads(*threads);
    std::vector<ModelInfo> listed;
    for (const auto& info : registered_models())
      if (info.name.find(*filter) != std::string::npos) listed.push_back(info);
    // Each row is printed (and flushed) when counted: the large models take seconds each.
    Progress progress(cat("models (", used, used == 1 ? " thread)" : " threads)"),
                      static_cast<int64_t>(listed.size()), "models");
    std::cout << "model                      family     px   params(M)  GFLOPs  Newton  description"
              << std::endl;
    for (const auto& info : listed) {
      ModelSection section;
      section.name = info.name;
      const auto model = build_model(section, *classes, info.in_chans);
      const int64_t px = *img_size > 0 ? *img_size : info.img_size;
      std::string gflops = "-", newton = "-";
      if (!*no_flops) {
        const auto count = count_model_macs(*model, info.in_chans, px);
        gflops = fixed(count.without_newton() / 1e9, 2);
        newton = fixed(count.newton / 1e9, 2);
      }
      char line[512];
      std::snprintf(line, sizeof line, "%-26s %-8s %5lld  %10.2f  %6s  %6s  %s\n", info.name.c_str(),
                    info.family.c_str(), static_cast<long long>(px), count_parameters(*model) / 1e6,
                    gflops.c_str(), newton.c_str(), info.description.c_str());
      std::cout << line << std::flush;
      progress.advance(1, info.name);
    }
    progress.done();
    std::cout << "\nGFLOPs: multiply-accumulates of matmuls, linears, convolutions and attention products,\n"
                 "counted during one forward of a 1-image batch (the convention of the published SOFT,\n"
                 "PVT and DeiT figures), without the Newton iterations; Newton: those iterations.\n";
  });
}

}  // namespace softvit::cli
