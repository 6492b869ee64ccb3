// softvit eval --checkpoint C [--config F] [--set key=value ...] [--split S] [--output J | --output-dir D]
//
// Without --output/--output-dir the metrics JSON goes to stdout. With them, four files:
//   --output-dir D:  D/metrics.json, D/predictions.csv, D/confusion_matrix.png, D/roc_curves.png
//   --output F.json: F.json, F_predictions.csv, F_confusion_matrix.png, F_roc_curves.png
// The eval.* options (threshold, positive_class, bootstrap, bootstrap_seed, ece_bins, tta) shape the
// metrics; set them with --set, e.g. --set eval.bootstrap=0 to skip the confidence intervals, or
// --set eval.tta=hflip to average each image's prediction with its mirror image's.
#include <nlohmann/json.hpp>

#include <iostream>

#include "cli/commands.h"
#include "cli/progress.h"
#include "core/config.h"
#include "core/error.h"
#include "core/strings.h"
#include "data/loader.h"
#include "data/sources/make_source.h"
#include "eval/eval_outputs.h"
#include "eval/evaluate.h"
#include "log/log.h"
#include "models/registry.h"
#include "train/checkpoint.h"
#include "train/device.h"

namespace softvit::cli {
namespace {

MetricOptions metric_options(const EvalSection& e, size_t classes) {
  if (classes == 2 && e.positive_class > 1)
    throw ConfigError(
        cat("option 'eval.positive_class' is ", e.positive_class, "; this binary model has classes 0 and 1"));
  MetricOptions o;
  o.threshold = e.threshold;
  o.positive_class = e.positive_class;
  o.bootstrap = e.bootstrap;
  o.bootstrap_seed = static_cast<uint64_t>(e.bootstrap_seed);
  o.ece_bins = e.ece_bins;
  return o;
}

std::string summary_line(const std::string& model, const std::string& split, const EvalResult& r) {
  const MetricReport& m = *r.metrics;
  const auto optional = [](const std::optional<double>& v) {
    return v ? fixed(*v, 4) : std::string("undefined");
  };
  if (r.multi_label)
    return cat(model, " on ", split, " (", r.n, " images): AUROC ", optional(m.auroc_macro), ", accuracy ",
               fixed(100 * m.label_accuracy, 2), "%, loss ", fixed(r.loss, 4));
  return cat(model, " on ", split, " (", r.n, " images): top-1 ", fixed(100 * r.top1, 2), "%, top-", r.top5_k,
             " ", fixed(100 * r.top5, 2), "%, loss ", fixed(r.loss, 4), ", AUROC ", optional(m.auroc_macro),
             ", balanced accuracy ", optional(m.balanced_accuracy), ", ECE ", fixed(m.calibration.ece, 4));
}

}  // namespace

void add_eval_command(CLI::App& app) {
  struct Args {
    std::string checkpoint, config, split, output, output_dir, weights = "auto";
    std::vector<std::string> overrides;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("eval", "evaluate a checkpoint on a split");
  cmd->add_option("--checkpoint", args->checkpoint, "checkpoint file (.pt)")->required();
  cmd->add_option("-c,--config", args->config,
                  "config whose data and eval sections to use (default: the checkpoint's); the model is "
                  "always the checkpoint's");
  cmd->add_option("--set", args->overrides, "override an option: key=value (repeatable)");
  cmd->add_option("--split", args->split, "split to evaluate (default: data.test_split)");
  cmd->add_option("--weights", args->weights,
                  "model | ema | auto: the EMA weights when the run ranked checkpoints by an ema_ metric")
      ->check(CLI::IsMember({"model", "ema", "auto"}));
  auto* output = cmd->add_option("-o,--output", args->output,
                                 "write the metrics JSON here, and beside it <stem>_predictions.csv, "
                                 "<stem>_confusion_matrix.png and <stem>_roc_curves.png");
  cmd->add_option("--output-dir", args->output_dir,
                  "write metrics.json, predictions.csv, confusion_matrix.png and roc_curves.png here")
      ->excludes(output);
  cmd->footer(
      "Without --output or --output-dir the metrics JSON goes to stdout and no files are written.\n"
      "Metric options and defaults (change with --set key=value): eval.threshold=0.5 eval.positive_class=1 "
      "eval.bootstrap=1000 eval.bootstrap_seed=0 eval.ece_bins=15 eval.tta=none");
  cmd->callback([args] {
    const CheckpointInfo info = read_checkpoint_info(args->checkpoint);
    // The model, and how the run ranked its checkpoints, are the checkpoint's; --config gives the
    // data to evaluate on and the eval options. --set applies to both.
    RunConfig config = parse_config(info.config_yaml, args->checkpoint + " (saved config)", args->overrides);
    if (!args->config.empty()) {
      const RunConfig given = load_config(args->config, args->overrides);
      config.data = given.data;
      config.eval = given.eval;
    }
    set_threads(config.run.threads);
    const torch::Device device = parse_device(config.run.device);
    const std::string split = args->split.empty() ? config.data.test_split : args->split;
    // Labelled in the model's class order: a split that lacks a class must not shift the labels.
    const std::vector<std::string> class_order = evaluation_class_order(config.data, split, info.classes);
    auto loader = make_loader(config, split, false, 0, 1, class_order);
    const std::vector<std::string>& class_names = loader->classes();

    const auto classes = static_cast<int64_t>(info.classes.size());
    ModelPtr model = build_model(config.model, classes, loader->channels());
    // best.pt of a run ranked by an EMA metric is best for its EMA weights: evaluate those.
    const bool use_ema = args->weights == "ema" || (args->weights == "auto" && info.has_ema &&
                                                    config.checkpoint.best_metric.rfind("ema_", 0) == 0);
    if (use_ema) {
      ModelPtr raw = build_model(config.model, classes, loader->channels());
      load_checkpoint(args->checkpoint, *raw, nullptr, model.get());
    } else {
      load_checkpoint(args->checkpoint, *model);
    }
    model->to(device);

    EvalOptions eval_options;
    eval_options.full_metrics = true;
    eval_options.metrics = metric_options(config.eval, info.classes.size());
    eval_options.class_names = class_names;
    eval_options.tta = parse_test_time_augmentation(config.eval.tta);
    Progress progress(cat("eval ", model->name(), " on ", split), loader->source().size(), "images");
    eval_options.on_batch = [&progress](int64_t images) { progress.advance(images); };
    const EvalResult r = evaluate(*model, *loader, device, eval_options);
    progress.done();

    nlohmann::json out = {{"checkpoint", args->checkpoint},
                          {"model", model->name()},
                          {"split", split},
                          {"classes", class_names},
                          {"loss", r.loss},
                          {"seconds", r.seconds},
                          {"weights", use_ema ? "ema" : "model"},
                          {"tta", config.eval.tta}};
    out.update(to_json(*r.metrics));
    log::info(summary_line(model->name(),
                           config.eval.tta == "none" ? split : cat(split, ", tta ", config.eval.tta), r));
    for (const auto& warning : r.metrics->warnings) log::warn(warning);
    if (args->output.empty() && args->output_dir.empty()) {
      std::cout << out.dump(2) << "\n";
      return;
    }
    const EvalOutputPaths paths = eval_output_paths(args->output, args->output_dir);
    write_eval_outputs(paths, out, r, class_names);
    std::cout << "metrics: " << paths.json << "\n";
  });
}

}  // namespace softvit::cli
