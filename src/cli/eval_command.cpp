// softvit eval --checkpoint C [--config F] [--set key=value ...] [--split S] [--output J | --output-dir D]
//
// Without --output/--output-dir the metrics JSON goes to stdout. With them, four files:
//   --output-dir D:  D/metrics.json, D/predictions.csv, D/confusion_matrix.png, D/roc_curves.png
//   --output F.json: F.json, F_predictions.csv, F_confusion_matrix.png, F_roc_curves.png
// The eval.* options (threshold, positive_class, bootstrap, bootstrap_seed, ece_bins, tta) shape the
// metrics; set them with --set, e.g. --set eval.bootstrap=0 to skip the confidence intervals, or
// --set eval.tta=hflip to average each image's prediction with its mirror image's.
// What is scored is never inherited from the run: the whole split (data.limit_eval only with --set
// here), with the training normalisation (data.mean/std only with --set here); unreadable images
// are left out and listed (data.on_error skip) or stop the evaluation, never replaced.
// --explain N [--explain-method ig|smoothgrad-ig|gradcam|chefer|rollout] [--class NAME|INDEX]: heat maps of
// up to N images per class and group (eval/explain/selection.h) into D/explain/ and D/explain.png (or
// F_explain/, F_explain.png), computed after scoring in a pass of their own that changes no reported number.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <optional>
#include <tuple>

#include "cli/commands.h"
#include "cli/progress.h"
#include "core/config.h"
#include "core/error.h"
#include "core/strings.h"
#include "data/loader.h"
#include "data/sources/make_source.h"
#include "data/validation_split.h"
#include "eval/checkpoint_model.h"
#include "eval/eval_outputs.h"
#include "eval/evaluate.h"
#include "eval/evaluation_record.h"
#include "eval/explain/explain_pass.h"
#include "eval/explain/targets.h"
#include "eval/positive_class.h"
#include "log/log.h"
#include "models/registry.h"
#include "train/checkpoint.h"
#include "train/device.h"

namespace softvit::cli {
namespace {

MetricOptions metric_options(const EvalSection& e, const std::vector<std::string>& classes) {
  MetricOptions o;
  o.threshold = e.threshold;
  if (classes.size() == 2) o.positive_class = positive_class_index(e.positive_class, classes);
  o.bootstrap = e.bootstrap;
  o.bootstrap_seed = static_cast<uint64_t>(e.bootstrap_seed);
  o.ece_bins = e.ece_bins;
  return o;
}

// Whether `key` was set by --set on this command line.
bool overridden(const std::vector<std::string>& overrides, const std::string& key) {
  return std::any_of(overrides.begin(), overrides.end(),
                     [&](const std::string& o) { return o.rfind(key + "=", 0) == 0; });
}

int64_t declared_img_size(const ModelSection& model) {
  if (model.img_size > 0) return model.img_size;
  for (const auto& m : registered_models())
    if (m.name == model.name) return m.img_size;
  return 0;
}

// What is scored is decided on eval's own command line, never inherited from the run (`trained`):
// the whole split unless --set data.limit_eval, the training normalisation unless --set data.mean/std.
void score_as_trained(RunConfig& config, const RunConfig& trained, const std::vector<std::string>& overrides,
                      const std::string& config_file) {
  if (!overridden(overrides, "data.limit_eval")) config.data.limit_eval = 0;
  for (const auto& [key, field, training] : {std::tuple{"data.mean", &config.data.mean, &trained.data.mean},
                                             std::tuple{"data.std", &config.data.std, &trained.data.std}}) {
    if (overridden(overrides, key)) continue;
    if (*field != *training)
      log::warn(cat(key, " of ", config_file, " ignored: the model keeps its training normalisation"));
    *field = *training;
  }
}

// The record of what `split` is evaluated with against the run that trained the checkpoint; the
// caller adds what the evaluation found (n, dropped samples, input sizes, weights).
EvaluationRecord record_of(const std::string& checkpoint, const CheckpointInfo& info,
                           const RunConfig& trained, const RunConfig& config, const std::string& split) {
  EvaluationRecord record;
  record.split = split;
  record.limit = config.data.limit_eval;
  record.on_error = config.data.on_error;
  record.model_input_size = declared_img_size(config.model);
  record.training_input_size = info.input_size;
  record.transforms = config.data.eval_transforms;
  record.training_transforms = trained.data.eval_transforms;
  record.mean = config.data.mean;
  record.std = config.data.std;
  record.training_mean = trained.data.mean;
  record.training_std = trained.data.std;
  record.tta = config.eval.tta;
  record.validation = describe_validation(trained.data);
  record.validated_on_test = validates_on_test(trained.data);
  // last.pt is the run's end, not a choice; best.pt and epoch_NNN.pt were chosen on validation.
  record.chosen_on_this_split = std::filesystem::path(checkpoint).stem() != "last" &&
                                trained.data.val_split == split && trained.data.root == config.data.root;
  record.best_metric = trained.checkpoint.best_metric;
  record.best_epoch = info.best_epoch;
  record.epochs = info.epoch;
  return record;
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

struct ExplainArgs {
  int64_t per_group = 0;
  std::string method = "ig", explained_class;
};

// The explanation pass, after everything reported has been computed and written: a second loader
// like the scoring one (same split, order and eval transforms) reads the chosen images again.
void explain_evaluation(Model& model, const RunConfig& config, const std::string& split,
                        const std::vector<std::string>& class_order, const torch::Device& device,
                        const EvalResult& result, const std::vector<std::string>& classes,
                        const ExplainArgs& explain, const std::string& output, bool output_is_folder) {
  const ExplainMethod method = parse_explain_method(explain.method);
  std::optional<int64_t> forced;
  if (!explain.explained_class.empty()) forced = explained_class_index(explain.explained_class, classes);
  if (forced && method == ExplainMethod::rollout)
    log::warn("--class does not change an attention rollout map, which is the same for every class");
  const std::vector<ExplainTarget> targets = evaluation_targets(result, classes, explain.per_group, forced);
  ExplainSettings settings;
  settings.method = method;
  settings.classes = classes;
  settings.mean = config.data.mean;
  settings.std = config.data.std;
  std::tie(settings.folder, settings.sheet) = explain_paths(output, output_is_folder);
  settings.subject = cat(model.name(), " on ", split);
  auto loader = make_loader(config, split, false, 0, 1, class_order);
  if (config.eval.tta != "none")
    log::warn(cat("explanations show the single view; the probabilities in them are the scored ones (tta ",
                  config.eval.tta, ")"));
  const ExplainReport report = write_explanations(model, *loader, device, targets, settings);
  log::info(cat(
      "explanations (", explain_method_name(method), " on ", report.layer, "): ", targets.size(),
      " images (up to ", explain.per_group, " per class in each of correct, wrong, uncertain), ",
      forced ? cat("class '", classes[static_cast<size_t>(*forced)], "'") : std::string("predicted class"),
      "; written to ", settings.folder, "/ and ", settings.sheet));
  if (report.flat_maps > 0)
    log::warn(cat("explanations: ", report.flat_maps, " of ", targets.size(),
                  " maps show no positive evidence (all zero)"));
}

}  // namespace

void add_eval_command(CLI::App& app) {
  struct Args {
    std::string checkpoint, config, split, output, output_dir, weights = "auto";
    std::vector<std::string> overrides;
    ExplainArgs explain;
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
  cmd->add_option("--explain", args->explain.per_group,
                  "write heat maps of up to N images per class in each group: most confident correct, most "
                  "confident wrong, most uncertain (needs --output or --output-dir)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option(
         "--explain-method", args->explain.method,
         "ig: integrated gradients, 64 steps (any model, the default) | smoothgrad-ig: integrated "
         "gradients averaged over 8 noisy copies, 8 steps each (any model) | gradcam (any model) | chefer: "
         "gradient-weighted attention rollout (softmax, SOFT and SOFT-Norm ViTs) | rollout (softmax ViTs)")
      ->check(CLI::IsMember({"ig", "smoothgrad-ig", "gradcam", "chefer", "rollout"}));
  cmd->add_option("--class", args->explain.explained_class,
                  "explain this class (a name or index) instead of each image's predicted class");
  cmd->footer(
      "Without --output or --output-dir the metrics JSON goes to stdout and no files are written.\n"
      "Metric options and defaults (change with --set key=value): eval.threshold=0.5 eval.positive_class=1 "
      "(a class name or index) eval.bootstrap=1000 eval.bootstrap_seed=0 eval.ece_bins=15 eval.tta=none\n"
      "The whole split is scored with the training normalisation: the run's data.limit_eval, and\n"
      "data.mean/std of --config, apply only when given here with --set.");
  cmd->callback([args] {
    if (args->explain.per_group > 0 && args->output.empty() && args->output_dir.empty())
      throw ConfigError("--explain writes images: give --output or --output-dir");
    if (args->explain.per_group == 0 && !args->explain.explained_class.empty())
      throw ConfigError("--class chooses the class that --explain shows; give --explain N");
    const CheckpointInfo info = read_checkpoint_info(args->checkpoint);
    // The model, and how the run ranked its checkpoints, are the checkpoint's; --config gives the
    // data to evaluate on and the eval options. --set applies to both.
    const std::string saved = args->checkpoint + " (saved config)";
    const RunConfig trained = parse_config(info.config_yaml, saved);
    RunConfig config = parse_config(info.config_yaml, saved, args->overrides);
    if (!args->config.empty()) {
      const RunConfig given = load_config(args->config, args->overrides);
      config.data = given.data;
      config.eval = given.eval;
    }
    score_as_trained(config, trained, args->overrides, args->config);
    set_threads(config.run.threads);
    const torch::Device device = parse_device(config.run.device);
    const std::string split = args->split.empty() ? config.data.test_split : args->split;
    // Labelled in the model's class order: a split that lacks a class must not shift the labels.
    const std::vector<std::string> class_order = evaluation_class_order(config.data, split, info.classes);
    auto loader = make_loader(config, split, false, 0, 1, class_order);
    const std::vector<std::string>& class_names = loader->classes();
    if (args->explain.per_group > 0 && !args->explain.explained_class.empty())
      explained_class_index(args->explain.explained_class, class_names);  // a wrong name stops it here

    const CheckpointModel loaded =
        load_checkpoint_model(args->checkpoint, info, config, loader->channels(), args->weights);
    const ModelPtr& model = loaded.model;
    const bool use_ema = loaded.ema;
    model->to(device);

    EvalOptions eval_options;
    eval_options.full_metrics = true;
    eval_options.metrics = metric_options(config.eval, class_names);
    eval_options.class_names = class_names;
    eval_options.tta = parse_test_time_augmentation(config.eval.tta);
    Progress progress(cat("eval ", model->name(), " on ", split), loader->size(), "images");
    eval_options.on_batch = [&progress](int64_t images) { progress.advance(images); };
    const EvalResult r = evaluate(*model, *loader, device, eval_options);
    progress.done();

    EvaluationRecord record = record_of(args->checkpoint, info, trained, config, split);
    record.n = r.n;
    record.dropped = loader->skipped();
    record.input_sizes = r.input_sizes;
    record.weights = use_ema ? "ema" : "model";

    nlohmann::json out = {{"checkpoint", args->checkpoint},
                          {"model", model->name()},
                          {"classes", class_names},
                          {"loss", r.loss},
                          {"seconds", r.seconds}};
    out.update(to_json(*r.metrics));
    out.update(to_json(record));
    if (out.contains("binary"))
      out["binary"]["positive_class_name"] = class_names[eval_options.metrics.positive_class];
    log::info(summary_line(model->name(),
                           config.eval.tta == "none" ? split : cat(split, ", tta ", config.eval.tta), r));
    for (const auto& warning : record_warnings(record)) out["warnings"].push_back(warning);
    for (const auto& warning : out["warnings"]) log::warn(warning.get<std::string>());
    if (args->output.empty() && args->output_dir.empty()) {
      std::cout << out.dump(2) << "\n";
      return;
    }
    const EvalOutputPaths paths = eval_output_paths(args->output, args->output_dir);
    write_eval_outputs(paths, out, r, class_names);
    std::cout << "metrics: " << paths.json << "\n";
    if (args->explain.per_group > 0)
      explain_evaluation(*model, config, split, class_order, device, r, class_names, args->explain,
                         args->output_dir.empty() ? args->output : args->output_dir,
                         !args->output_dir.empty());
  });
}

}  // namespace softvit::cli
