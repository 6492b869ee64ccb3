// Weights in and out: a state dict (tensor name -> tensor) read from a .safetensors file or a
// torch .pt file (softvit checkpoints included), made to fit softvit's names, and loaded into a
// model strictly (the default) or leniently; and a model's weights saved as safetensors, which
// safetensors.torch.load_file + timm's load_state_dict read in Python.
#pragma once
#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

#include "core/config/model_section.h"
#include "models/model.h"

namespace softvit {

using StateDict = std::map<std::string, torch::Tensor>;

struct LoadOptions {
  bool strict = true;  // a missing, unexpected or misshaped tensor is an error
  // Tensor names or module paths ("head" covers head.weight and head.bias) that are neither loaded
  // nor required, e.g. a classifier of another size when fine-tuning.
  std::vector<std::string> skip;
};

// What a load did, by tensor name.
struct LoadReport {
  std::vector<std::string> loaded;
  std::vector<std::string> skipped;     // matched LoadOptions::skip (either side)
  std::vector<std::string> missing;     // in the model only: left as initialised
  std::vector<std::string> unexpected;  // in the weights only: ignored
  std::vector<std::string> misshaped;   // "name: weights [..], model [..]": left as initialised
  std::string summary() const;          // one line for the log
};

// The model's parameters and buffers by dotted name: the names of timm's state_dict().
StateDict model_state_dict(const torch::nn::Module& model);

// Copies `weights` into `model`, each tensor converted to its parameter's dtype and device.
// Strict: every problem is collected into one CheckpointError that names `origin`, each tensor
// and both shapes, and the model is left unchanged. Lenient: loads what fits and reports the rest.
LoadReport load_state_dict(torch::nn::Module& model, const StateDict& weights, const LoadOptions& options,
                           const std::string& origin);

// Reads a .safetensors file, or a torch .pt file holding a dict of tensors, possibly nested under
// "state_dict", "model", "model_state_dict" or "module" (a softvit checkpoint holds it under "model").
// Undoes wrapper prefixes (see strip_wrapper_prefixes). Errors name the file.
StateDict read_weights(const std::string& path);

// The metadata of a .safetensors file; empty for a torch .pt file.
std::map<std::string, std::string> read_weights_metadata(const std::string& path);

// Training wrappers prefix every name: DataParallel "module.", Lightning-style "model.". When every
// name carries one of these prefixes it is removed, repeatedly ("module.model.x" -> "x").
StateDict strip_wrapper_prefixes(StateDict weights);

// Writes a state dict as safetensors with metadata: format "pt" (what safetensors.torch expects),
// model (the registered name), softvit_version, plus `extra` (e.g. classes).
void save_weights(const std::string& path, const StateDict& weights, const std::string& model_name,
                  const std::map<std::string, std::string>& extra = {});
inline void save_weights(const std::string& path, const Model& model,
                         const std::map<std::string, std::string>& extra = {}) {
  save_weights(path, model_state_dict(model), model.name(), extra);
}

// model.init_from: loads that file into a freshly built model, following model.init_strict and
// model.init_skip and renaming through the model family's name map. Does nothing when init_from
// is empty. Logs what was loaded and what was not.
LoadReport init_model_weights(Model& model, const ModelSection& section);

}  // namespace softvit
