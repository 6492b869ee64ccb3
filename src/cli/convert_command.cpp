// softvit convert: model weights in and out of softvit.
//   --checkpoint C.pt --output W.safetensors
//       a softvit checkpoint's model weights as safetensors, for Python (safetensors + timm) or
//       for model.init_from; the metadata keeps the model name, classes and config.
//   --weights W.safetensors|W.pt [--model NAME] [--set key=value ...] --output C.pt
//       weights (timm's, the reference release's, or an export above) as a softvit checkpoint
//       that softvit eval reads. The model comes from --model / --set, else from the metadata.
#include <nlohmann/json.hpp>

#include <iostream>

#include "cli/commands.h"
#include "core/config.h"
#include "core/error.h"
#include "core/strings.h"
#include "models/registry.h"
#include "models/weights.h"
#include "train/checkpoint.h"

namespace softvit::cli {
namespace {

struct ConvertArgs {
  std::string checkpoint, weights, model, output;
  std::vector<std::string> overrides;
};

void export_checkpoint(const ConvertArgs& args) {
  const CheckpointInfo info = read_checkpoint_info(args.checkpoint);
  save_weights(args.output, read_weights(args.checkpoint), info.model_name,
               {{"classes", nlohmann::json(info.classes).dump()},
                {"softvit_config", info.config_yaml},
                {"source", args.checkpoint},
                {"epoch", std::to_string(info.epoch)}});
  std::cout << "weights: " << args.output << " (model " << info.model_name << ")\n";
}

void import_weights(const ConvertArgs& args) {
  const std::map<std::string, std::string> metadata = read_weights_metadata(args.weights);
  // The config a softvit export carries rebuilds the same model; otherwise start from defaults.
  // Its run's own init options (e.g. init_skip: [head]) must not apply to this load.
  std::vector<std::string> overrides = {"model.init_strict=true", "model.init_skip=[]"};
  overrides.insert(overrides.end(), args.overrides.begin(), args.overrides.end());
  const auto saved = metadata.find("softvit_config");
  RunConfig config = saved != metadata.end()
                         ? parse_config(saved->second, args.weights + " (saved config)", overrides)
                         : parse_config("", "softvit convert", overrides);
  if (!args.model.empty())
    config.model.name = args.model;
  else if (saved == metadata.end() && metadata.count("model"))
    config.model.name = metadata.at("model");
  else if (saved == metadata.end())
    throw ConfigError(cat("'", args.weights, "' does not name its model: pass --model"));

  std::vector<std::string> classes;
  if (metadata.count("classes")) {
    try {
      classes = nlohmann::json::parse(metadata.at("classes")).get<std::vector<std::string>>();
    } catch (const nlohmann::json::exception&) {
      throw DataError(cat("'", args.weights, "': metadata 'classes' is not a JSON list of names"));
    }
  }
  ModelPtr model = build_model(config.model, static_cast<int64_t>(classes.size()), 0);
  config.model.num_classes = static_cast<int>(model->num_classes());  // the saved config rebuilds it
  config.model.init_from = args.weights;
  init_model_weights(*model, config.model);
  config.model.init_from = "";  // the weights now live in the checkpoint
  if (classes.empty())
    for (int64_t i = 0; i < model->num_classes(); ++i) classes.push_back(std::to_string(i));
  CheckpointInfo info;
  info.model_name = model->name();
  info.config_yaml = to_yaml(config);
  info.classes = classes;
  save_checkpoint(args.output, *model, nullptr, info);
  std::cout << "checkpoint: " << args.output << " (model " << model->name() << ", " << classes.size()
            << " classes)\n";
}

}  // namespace

void add_convert_command(CLI::App& app) {
  auto args = std::make_shared<ConvertArgs>();
  auto* cmd = app.add_subcommand(
      "convert", "convert model weights: checkpoint -> safetensors, or weights -> checkpoint");
  auto* from_checkpoint =
      cmd->add_option("--checkpoint", args->checkpoint, "softvit checkpoint (.pt) to export")
          ->check(CLI::ExistingFile);
  auto* from_weights = cmd->add_option("--weights", args->weights, "weights (.safetensors or .pt) to import")
                           ->check(CLI::ExistingFile);
  from_checkpoint->excludes(from_weights);
  cmd->add_option("--model", args->model, "registered model the weights are for (import)");
  cmd->add_option("--set", args->overrides, "override an option of the model's config: key=value (import)");
  cmd->add_option("-o,--output", args->output, "file to write: .safetensors (export) or .pt (import)")
      ->required();
  cmd->callback([args] {
    if (!args->checkpoint.empty())
      export_checkpoint(*args);
    else if (!args->weights.empty())
      import_weights(*args);
    else
      throw ConfigError("softvit convert needs --checkpoint (export) or --weights (import)");
  });
}

}  // namespace softvit::cli
