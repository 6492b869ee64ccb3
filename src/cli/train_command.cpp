// softvit train --config F [--set key=value ...] [--output DIR] [--overwrite] [--init-from WEIGHTS]
// softvit train --resume DIR [--set key=value ...]
#include <cstdlib>
#include <iostream>

#include "cli/commands.h"
#include "core/config.h"
#include "dist/env.h"
#include "log/log.h"
#include "train/run_folder.h"
#include "train/trainer.h"

namespace softvit::cli {

void add_train_command(CLI::App& app) {
  struct Args {
    std::string config, output, resume, init_from;
    std::vector<std::string> overrides;
    int64_t stop_after_steps = 0;
    bool overwrite = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("train", "train a model from a YAML config, or resume a run");
  auto* config = cmd->add_option("-c,--config", args->config, "YAML config file")->check(CLI::ExistingFile);
  auto* resume = cmd->add_option("--resume", args->resume, "continue the run in this folder from its last.pt")
                     ->check(CLI::ExistingDirectory)
                     ->excludes(config);
  cmd->add_option("--set", args->overrides, "override an option: key=value (repeatable)");
  cmd->add_option("-o,--output", args->output, "run folder (overrides run.output)")->excludes(resume);
  cmd->add_flag("--overwrite", args->overwrite,
                "start afresh in a run folder that holds an earlier run, removing that run's files "
                "(without it such a folder is refused)")
      ->excludes(resume);
  cmd->add_option("--init-from", args->init_from,
                  "start from these weights, .safetensors or .pt (sets model.init_from)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--stop-after-steps", args->stop_after_steps,
                  "save and stop after this many optimizer steps in total (resume later)");
  cmd->callback([args] {
    if (args->config.empty() && args->resume.empty()) throw CLI::RequiredError("--config or --resume");
    TrainOptions options;
    options.stop_after_steps = args->stop_after_steps;
    options.overwrite = args->overwrite;
    RunConfig config;
    if (!args->resume.empty()) {
      check_resumable(args->resume);
      config = run_config_of(args->resume, args->overrides);
      options.resume = true;
    } else {
      config = load_config(args->config, args->overrides);
      if (!args->output.empty()) config.run.output = args->output;
      if (!args->init_from.empty()) config.model.init_from = args->init_from;
    }
    log::init_console(log::parse_level(config.run.log_level));
    const TrainResult result = train(config, options);
    if (dist::dist_env().rank == 0)  // rank 0 writes the run folder
      std::cout << "results: " << result.run_dir
                << " (config.yaml, train.log, metrics.jsonl, summary.csv, checkpoints/)\n";
    if (result.stopped_early && result.stop_reason.rfind("signal", 0) == 0) std::exit(130);
  });
}

}  // namespace softvit::cli
