// softvit predict --checkpoint C --input DIR|CSV|FILES --output preds.csv [--threshold T |
//   --threshold-at sensitivity=0.95] [--tta none|hflip] [--device D] [--batch-size N] ...
//
// Class probabilities for unlabelled images, one CSV row per image (predict.h), read and
// normalised as the checkpoint's run evaluated its validation images. For a binary model a
// decision threshold is either given or chosen on the run's validation split for an operating
// point of eval.positive_class, and written in the CSV's header with how it was chosen.
// Unreadable images stop the run (data.on_error stop) or are left out and listed (skip).
// --explain [--explain-method ig|smoothgrad-ig|gradcam|chefer|rollout] [--class NAME|INDEX]
// [--explain-max N]: heat maps of the first N images (100) into <csv stem>_explain/ and
// <csv stem>_explain.png, after predicting.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <optional>
#include <tuple>

#include "cli/commands.h"
#include "core/config.h"
#include "core/error.h"
#include "core/strings.h"
#include "data/loader.h"
#include "data/sources/image_list_source.h"
#include "data/sources/make_source.h"
#include "data/validation_split.h"
#include "eval/checkpoint_model.h"
#include "eval/evaluate.h"
#include "eval/explain/explain_pass.h"
#include "eval/explain/targets.h"
#include "eval/metrics_threshold.h"
#include "eval/positive_class.h"
#include "eval/predict.h"
#include "log/log.h"
#include "train/checkpoint.h"
#include "train/device.h"

namespace softvit::cli {
namespace {

struct Args {
  std::string checkpoint, output, threshold_at, tta, device, weights = "auto", path_column = "path";
  std::vector<std::string> inputs, overrides;
  double threshold = -1;
  int batch_size = 0, top_k = 5;
  bool explain = false;
  std::string explain_method = "ig", explained_class;
  int64_t explain_max = 100;
};

std::string number_text(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.6g", v);
  return buffer;
}

// The input channels the model was trained on: recorded in the checkpoint, configured, or the
// training data's own.
int64_t trained_channels(const CheckpointInfo& info, const RunConfig& config) {
  if (info.input_size.size() == 3) return info.input_size[0];
  if (config.data.channels > 0) return config.data.channels;
  try {
    return make_source(config.data, config.data.train_split, 1)->native_channels();
  } catch (const DataError& e) {
    throw DataError(
        cat("the checkpoint does not record its input channels and its training data cannot be read (",
            e.what(), "): give them with --set data.channels=1 or 3"));
  }
}

// The threshold meeting `point` for `positive` on the run's validation split, and the header line
// that says so.
std::pair<double, std::string> threshold_on_validation(Model& model, const RunConfig& config,
                                                       const CheckpointInfo& info,
                                                       const torch::Device& device, TestTimeAugmentation tta,
                                                       const OperatingPoint& point, int positive) {
  RunConfig whole = config;
  whole.data.limit_eval = 0;  // the whole validation split
  const std::string& split = config.data.val_split;
  auto loader =
      make_loader(whole, split, false, 0, 1, evaluation_class_order(whole.data, split, info.classes));
  EvalOptions options;
  options.tta = tta;
  const EvalResult r = evaluate(model, *loader, device, options);
  const std::vector<float> scores = r.probabilities.column(positive);
  std::vector<uint8_t> is_positive(r.labels.size());
  for (size_t i = 0; i < r.labels.size(); ++i) is_positive[i] = r.labels[i] == positive;
  const double threshold = threshold_for(scores, is_positive, point);
  const ThresholdScores there = at_threshold(scores, is_positive, threshold);
  const auto shown = [](const std::optional<double>& v) {
    return v ? fixed(*v, 4) : std::string("undefined");
  };
  const size_t left_out = loader->skipped().size();
  return {threshold,
          cat("threshold ", number_text(threshold), " chosen for ", point.criterion, " >= ", point.target,
              " of class '", info.classes[static_cast<size_t>(positive)], "' on the validation data, ",
              describe_validation(config.data), " (", r.n, " images",
              left_out ? cat(", ", left_out, " unreadable left out") : std::string(), "): there sensitivity ",
              shown(there.sensitivity), ", specificity ", shown(there.specificity))};
}

// The explanation pass after predicting: a second loader over the same images reads them again.
void explain_predictions(Model& model, const RunConfig& config, const SourcePtr& source,
                         const torch::Device& device, const PredictionTable& table, const Decision& decision,
                         const std::vector<std::string>& classes, const Args& args) {
  const ExplainMethod method = parse_explain_method(args.explain_method);
  std::optional<int64_t> forced;
  if (!args.explained_class.empty()) forced = explained_class_index(args.explained_class, classes);
  if (forced && method == ExplainMethod::rollout)
    log::warn("--class does not change an attention rollout map, which is the same for every class");
  const auto targets = prediction_targets(table, decision, args.explain_max, forced);
  ExplainSettings settings;
  settings.method = method;
  settings.classes = classes;
  settings.mean = config.data.mean;
  settings.std = config.data.std;
  std::tie(settings.folder, settings.sheet) = explain_paths(args.output, false);
  settings.subject = cat(model.name(), ", predict");
  auto loader = make_loader(config, source, false);
  const ExplainReport report = write_explanations(model, *loader, device, targets, settings);
  log::info(
      cat("explanations (", explain_method_name(method), " on ", report.layer, "): ", targets.size(), " of ",
          table.probabilities.rows, " images, ",
          forced ? cat("class '", classes[static_cast<size_t>(*forced)], "'") : std::string("decided class"),
          "; written to ", settings.folder, "/ and ", settings.sheet));
  if (targets.size() < static_cast<size_t>(table.probabilities.rows))
    log::warn(cat("explanations: only the first ", targets.size(), " images explained (--explain-max)"));
  if (report.flat_maps > 0)
    log::warn(cat("explanations: ", report.flat_maps, " of ", targets.size(),
                  " maps show no positive evidence (all zero)"));
}

}  // namespace

void add_predict_command(CLI::App& app) {
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("predict", "predict the classes of unlabelled images with a checkpoint");
  cmd->add_option("--checkpoint", args->checkpoint, "checkpoint file (.pt)")->required();
  cmd->add_option("--input", args->inputs,
                  "a folder (searched recursively), a CSV with a path column, or image files")
      ->required();
  cmd->add_option("-o,--output", args->output, "the predictions CSV to write")->required();
  auto* threshold =
      cmd->add_option("--threshold", args->threshold,
                      "binary models: call eval.positive_class when its probability is at least this");
  cmd->add_option(
         "--threshold-at", args->threshold_at,
         "binary models: choose the threshold on the run's validation split for an operating point of "
         "eval.positive_class: sensitivity=X or specificity=X")
      ->excludes(threshold);
  cmd->add_option("--tta", args->tta, "test-time augmentation: none | hflip (default: the run's eval.tta)")
      ->check(CLI::IsMember({"none", "hflip"}));
  cmd->add_option("--device", args->device, "cpu | cuda | cuda:N (default: the run's run.device)");
  cmd->add_option("--batch-size", args->batch_size,
                  "images per batch (default: the run's train.eval_batch_size)");
  cmd->add_option("--top-k", args->top_k, "most probable classes listed per image")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--weights", args->weights,
                  "model | ema | auto: the EMA weights when the run ranked checkpoints by an ema_ metric")
      ->check(CLI::IsMember({"model", "ema", "auto"}));
  cmd->add_option("--path-column", args->path_column, "the CSV column holding image paths");
  cmd->add_option("--set", args->overrides,
                  "override an option of the run's config: key=value (repeatable), e.g. data.on_error=skip");
  cmd->add_flag("--explain", args->explain,
                "also write heat maps of the evidence for each image's decided class (or --class), "
                "<csv stem>_explain/ and a contact sheet <csv stem>_explain.png");
  cmd->add_option(
         "--explain-method", args->explain_method,
         "ig: integrated gradients, 64 steps (any model, the default) | smoothgrad-ig: integrated "
         "gradients averaged over 8 noisy copies, 8 steps each (any model) | gradcam (any model) | chefer: "
         "gradient-weighted attention rollout (softmax, SOFT and SOFT-Norm ViTs) | rollout (softmax ViTs)")
      ->check(CLI::IsMember({"ig", "smoothgrad-ig", "gradcam", "chefer", "rollout"}));
  cmd->add_option("--class", args->explained_class, "with --explain: explain this class (a name or index)");
  cmd->add_option("--explain-max", args->explain_max, "with --explain: explain at most the first N images")
      ->check(CLI::PositiveNumber);
  cmd->callback([args] {
    if (!args->explain && !args->explained_class.empty())
      throw ConfigError("--class chooses the class that --explain shows; add --explain");
    const CheckpointInfo info = read_checkpoint_info(args->checkpoint);
    RunConfig config = parse_config(info.config_yaml, args->checkpoint + " (saved config)", args->overrides);
    if (!args->device.empty()) config.run.device = args->device;
    if (args->batch_size > 0) config.train.eval_batch_size = args->batch_size;
    if (!args->tta.empty()) config.eval.tta = args->tta;
    validate(config);
    set_threads(config.run.threads);
    const torch::Device device = parse_device(config.run.device);
    const TestTimeAugmentation tta = parse_test_time_augmentation(config.eval.tta);
    const bool multi_label = config.train.loss == "bce";
    const std::vector<std::string>& classes = info.classes;
    if (args->explain && !args->explained_class.empty())
      explained_class_index(args->explained_class, classes);  // a wrong name stops it before predicting

    const int64_t channels = trained_channels(info, config);
    const CheckpointModel loaded =
        load_checkpoint_model(args->checkpoint, info, config, channels, args->weights);
    loaded.model->to(device);

    Decision decision;
    decision.multi_label = multi_label;
    decision.threshold = config.eval.threshold;
    std::string threshold_line =
        multi_label ? cat("labels called at probability >= ", config.eval.threshold, " (eval.threshold)")
                    : "predicted: the most probable class (no threshold given)";
    if (args->threshold >= 0 || !args->threshold_at.empty()) {
      if (multi_label || classes.size() != 2)
        throw ConfigError(cat("--threshold and --threshold-at need a binary model; this one has ",
                              classes.size(), multi_label ? " labels" : " classes"));
      decision.positive_class = positive_class_index(config.eval.positive_class, classes);
      if (args->threshold >= 0) {
        if (args->threshold > 1)
          throw ConfigError(cat("--threshold ", args->threshold, " is not a probability"));
        decision.threshold = args->threshold;
        threshold_line = cat("threshold ", number_text(args->threshold), " given (--threshold)");
      } else {
        std::tie(decision.threshold, threshold_line) =
            threshold_on_validation(*loaded.model, config, info, device, tta,
                                    parse_operating_point(args->threshold_at), decision.positive_class);
      }
      const std::string positive = classes[static_cast<size_t>(decision.positive_class)];
      threshold_line +=
          cat("; predicted: '", positive, "' when p_", positive, " >= ", number_text(decision.threshold),
              ", else '", classes[static_cast<size_t>(1 - decision.positive_class)], "'");
    }

    const auto files = list_input_images(args->inputs, args->path_column);
    const SourcePtr source = std::make_shared<ImageListSource>(files, classes, static_cast<int>(channels));
    auto loader = make_loader(config, source, false);
    const auto total = static_cast<int64_t>(files.size());
    const auto start = std::chrono::steady_clock::now();
    auto last_report = start;
    const auto seconds_since = [](std::chrono::steady_clock::time_point t) {
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
    };
    log::info(cat("predict: ", total, " images, ", loaded.model->name(), " on ", device.str()));
    const PredictionTable table =
        predict(*loaded.model, *loader, device, tta, multi_label, [&](int64_t done) {
          if (seconds_since(last_report) < 2 && done < total) return;
          last_report = std::chrono::steady_clock::now();
          log::info(cat("predict: ", done, "/", total, " images, ",
                        fixed(done / std::max(seconds_since(start), 1e-9), 0), " img/s"));
        });

    std::vector<std::string> header = {
        cat("softvit predict: ", table.probabilities.rows, " images"),
        cat("checkpoint: ", args->checkpoint, " (epoch ", info.epoch, "; chosen by ",
            config.checkpoint.best_metric, " on ", describe_validation(config.data), ")"),
        cat("model: ", loaded.model->name(), ", weights ", loaded.ema ? "ema" : "model", ", tta ",
            config.eval.tta),
        cat("classes: ", join(classes, ", ")), threshold_line};
    const auto left_out = loader->skipped();
    if (!left_out.empty()) {
      header.push_back(cat("left out, unreadable (data.on_error skip): ", left_out.size()));
      for (const auto& p : left_out) header.push_back(cat("  ", p.file, ": ", p.reason));
      log::warn(cat("predict: ", left_out.size(), " unreadable images left out; the CSV header lists them"));
    }
    write_prediction_csv(args->output, header, table, classes, decision, args->top_k);
    std::cout << "predictions: " << args->output << "\n";
    if (args->explain)
      explain_predictions(*loaded.model, config, source, device, table, decision, classes, *args);
  });
}

}  // namespace softvit::cli
