// softvit train --config F [--set key=value ...] [--output DIR] [--init-from WEIGHTS]
#include <iostream>

#include "cli/commands.h"
#include "core/config.h"
#include "log/log.h"
#include "train/trainer.h"

namespace softvit::cli {

void add_train_command(CLI::App& app) {
  struct Args {
    std::string config, output, init_from;
    std::vector<std::string> overrides;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("train", "train a model from a YAML config");
  cmd->add_option("-c,--config", args->config, "YAML config file")->required()->check(CLI::ExistingFile);
  cmd->add_option("--set", args->overrides, "override an option: key=value (repeatable)");
  cmd->add_option("-o,--output", args->output, "run folder (overrides run.output)");
  cmd->add_option("--init-from", args->init_from, "start from these weights, .safetensors or .pt (sets model.init_from)")
      ->check(CLI::ExistingFile);
  cmd->callback([args] {
    RunConfig config = load_config(args->config, args->overrides);
    if (!args->output.empty()) config.run.output = args->output;
    if (!args->init_from.empty()) config.model.init_from = args->init_from;
    log::init_console(log::parse_level(config.run.log_level));
    const TrainResult result = train(config);
    std::cout << "results: " << result.run_dir << " (config.yaml, train.log, metrics.jsonl, summary.csv, checkpoints/)\n";
  });
}

}  // namespace softvit::cli
