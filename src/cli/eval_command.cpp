// softvit eval --checkpoint C [--config F] [--set key=value ...] [--split S] [--output J]
#include <nlohmann/json.hpp>

#include <filesystem>
#include <iostream>

#include "cli/commands.h"
#include "core/atomic_file.h"
#include "core/config.h"
#include "core/strings.h"
#include "data/loader.h"
#include "eval/evaluate.h"
#include "log/log.h"
#include "models/registry.h"
#include "train/checkpoint.h"
#include "train/device.h"

namespace softvit::cli {

void add_eval_command(CLI::App& app) {
  struct Args {
    std::string checkpoint, config, split, output;
    std::vector<std::string> overrides;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("eval", "evaluate a checkpoint on a split");
  cmd->add_option("--checkpoint", args->checkpoint, "checkpoint file (.pt)")->required();
  cmd->add_option("-c,--config", args->config, "config whose data section to use (default: the checkpoint's)");
  cmd->add_option("--set", args->overrides, "override an option: key=value (repeatable)");
  cmd->add_option("--split", args->split, "split to evaluate (default: data.test_split)");
  cmd->add_option("-o,--output", args->output, "write the metrics as JSON here");
  cmd->callback([args] {
    const CheckpointInfo info = read_checkpoint_info(args->checkpoint);
    const RunConfig config = args->config.empty()
                                 ? parse_config(info.config_yaml, args->checkpoint + " (saved config)", args->overrides)
                                 : load_config(args->config, args->overrides);
    set_threads(config.run.threads);
    const torch::Device device = parse_device(config.run.device);
    const std::string split = args->split.empty() ? config.data.test_split : args->split;
    auto loader = make_loader(config, split, false);

    ModelPtr model = build_model(config.model, static_cast<int64_t>(info.classes.size()), loader->channels());
    load_checkpoint(args->checkpoint, *model);
    model->to(device);

    const EvalResult r = evaluate(*model, *loader, device);

    nlohmann::json out = {{"checkpoint", args->checkpoint}, {"model", model->name()}, {"split", split},
                          {"n", r.n},   {"top1", r.top1},   {"top5", r.top5},       {"top5_k", r.top5_k},
                          {"loss", r.loss},                 {"classes", info.classes}, {"seconds", r.seconds}};
    std::vector<std::vector<int64_t>> confusion;
    for (int64_t i = 0; i < r.confusion.size(0); ++i) {
      auto row = r.confusion[i].contiguous();
      confusion.emplace_back(row.data_ptr<int64_t>(), row.data_ptr<int64_t>() + row.numel());
    }
    out["confusion_matrix"] = confusion;
    log::info(cat(model->name(), " on ", split, " (", r.n, " images): top-1 ", fixed(100 * r.top1, 2), "%, top-",
                  r.top5_k, " ", fixed(100 * r.top5, 2), "%, loss ", fixed(r.loss, 4)));
    if (!args->output.empty()) {
      const auto parent = std::filesystem::path(args->output).parent_path();
      if (!parent.empty()) std::filesystem::create_directories(parent);
      write_file_atomic(args->output, out.dump(2) + "\n");
      std::cout << "metrics: " << args->output << "\n";
    } else {
      std::cout << out.dump(2) << "\n";
    }
  });
}

}  // namespace softvit::cli
