// softvit train --config F [--set key=value ...] [--output DIR] [--overwrite] [--init-from WEIGHTS]
// softvit train --resume DIR [--set key=value ...]
// softvit train --config F --lr-find [--lr-find-steps N] [--lr-find-range A:B] [--lr-find-output DIR]
#include <cstdlib>
#include <iostream>

#include "cli/commands.h"
#include "core/config.h"
#include "core/error.h"
#include "core/strings.h"
#include "dist/env.h"
#include "log/log.h"
#include "train/lr_finder.h"
#include "train/run_folder.h"
#include "train/trainer.h"

namespace softvit::cli {
namespace {

// "1e-7:1" -> the range's two ends.
void parse_lr_range(const std::string& text, LrFindOptions& options) {
  const auto colon = text.find(':');
  try {
    if (colon == std::string::npos) throw std::invalid_argument(text);
    options.start_lr = std::stod(text.substr(0, colon));
    options.end_lr = std::stod(text.substr(colon + 1));
  } catch (const std::logic_error&) {
    throw ConfigError(cat("--lr-find-range '", text, "': expected START:END, e.g. 1e-7:1"));
  }
}

void run_lr_find(const RunConfig& config, LrFindOptions options, const std::string& range) {
  if (!range.empty()) parse_lr_range(range, options);
  if (options.output_dir.empty()) options.output_dir = config.run.output + "_lr_find";
  const LrFindResult r = find_learning_rate(config, options);
  const auto as_option = [&](double lr) { return lr / r.lr_scale; };
  std::cout << "lr-find: suggested optim.lr=" << as_option(r.valley_lr) << " (fastai's valley; steepest fall "
            << as_option(r.steepest_lr) << ", a tenth of the minimum " << as_option(r.minimum_lr) / 10 << ")"
            << (r.lr_scale != 1 ? cat(", for optim.lr_base_batch ", config.optim.lr_base_batch,
                                      " (effective lr x", r.lr_scale, ")")
                                : std::string())
            << (r.diverged ? "" : "; the loss had not diverged by the end of the range: try a wider one")
            << "\nlr-find: " << r.png << ", " << r.csv << " (" << r.lrs.size()
            << " steps; run folder untouched)\n";
}

}  // namespace

void add_train_command(CLI::App& app) {
  struct Args {
    std::string config, output, resume, init_from;
    std::vector<std::string> overrides;
    int64_t stop_after_steps = 0;
    bool lr_find = false;
    LrFindOptions lr_find_options;
    std::string lr_find_range;
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
  auto* lr_find =
      cmd->add_flag("--lr-find", args->lr_find,
                    "learning-rate range test instead of training: loss against an exponentially "
                    "rising lr, lr_find.png and a suggested optim.lr; the run folder is untouched")
          ->excludes(resume);
  cmd->add_option("--lr-find-steps", args->lr_find_options.steps, "steps of the range test (default 200)")
      ->needs(lr_find);
  cmd->add_option("--lr-find-range", args->lr_find_range, "START:END learning rates (default 1e-7:1)")
      ->needs(lr_find);
  cmd->add_option("--lr-find-output", args->lr_find_options.output_dir,
                  "folder of lr_find.png and lr_find.csv (default: <run folder>_lr_find)")
      ->needs(lr_find);
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
    if (args->lr_find) {
      run_lr_find(config, args->lr_find_options, args->lr_find_range);
      return;
    }
    const TrainResult result = train(config, options);
    if (dist::dist_env().rank == 0)  // rank 0 writes the run folder
      std::cout << "results: " << result.run_dir
                << " (config.yaml, train.log, metrics.jsonl, summary.csv, checkpoints/)\n";
    if (result.stopped_early && result.stop_reason.rfind("signal", 0) == 0) std::exit(130);
    if (result.stopped_early && result.stop_reason.rfind("collapse", 0) == 0) std::exit(3);  // a failed run
  });
}

}  // namespace softvit::cli
