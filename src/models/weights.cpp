#include "models/weights.h"

#include <torch/csrc/jit/serialization/pickle.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>

#include "core/error.h"
#include "core/strings.h"
#include "core/version.h"
#include "log/log.h"
#include "models/name_maps.h"
#include "models/registry.h"
#include "models/safetensors.h"

namespace softvit {
namespace {

constexpr size_t kProblemsShown = 8;

std::string shape_text(const torch::Tensor& t) {
  std::vector<std::string> dims;
  for (auto d : t.sizes()) dims.push_back(std::to_string(d));
  return "[" + join(dims, ", ") + "]";
}

// "head" covers "head" itself and everything under it ("head.weight"), not "head_dist.weight".
bool skipped_by(const std::string& name, const std::vector<std::string>& prefixes) {
  for (const auto& p : prefixes) {
    if (p.empty()) continue;
    if (name == p) return true;
    if (name.size() > p.size() && name.compare(0, p.size(), p) == 0 &&
        (p.back() == '.' || name[p.size()] == '.'))
      return true;
  }
  return false;
}

std::string names_text(const std::vector<std::string>& names, const std::string& separator = ", ") {
  std::vector<std::string> shown(names.begin(), names.begin() + std::min(names.size(), kProblemsShown));
  std::string text = join(shown, separator);
  if (names.size() > shown.size()) text += cat(" and ", names.size() - shown.size(), " more");
  return text;
}

// torch.save writes a zip archive; safetensors begins with its header length instead.
bool is_zip_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  in.read(magic, 4);
  return in.gcount() == 4 && magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4;
}

std::optional<StateDict> as_tensor_dict(const c10::IValue& value) {
  if (!value.isGenericDict()) return std::nullopt;
  StateDict out;
  for (const auto& entry : value.toGenericDict()) {
    if (!entry.key().isString() || !entry.value().isTensor()) return std::nullopt;
    out[entry.key().toStringRef()] = entry.value().toTensor();
  }
  if (out.empty()) return std::nullopt;
  return out;
}

// The dict of tensors itself, or one nested under a key training scripts use for it.
StateDict find_state_dict(const c10::IValue& value, const std::string& path, int depth = 0) {
  if (auto tensors = as_tensor_dict(value)) return *tensors;
  if (value.isGenericDict() && depth < 3) {
    const auto dict = value.toGenericDict();
    for (const char* key : {"state_dict", "model_state_dict", "model", "module"})
      if (dict.contains(key)) return find_state_dict(dict.at(key), path, depth + 1);
    std::vector<std::string> keys;
    for (const auto& entry : dict) keys.push_back(entry.key().isString() ? entry.key().toStringRef() : "?");
    throw CheckpointError(
        cat("'", path, "' holds no dict of tensors (its keys: ", names_text(keys),
            "; expected the tensors at the top or under state_dict, model_state_dict, model or module)"));
  }
  throw CheckpointError(cat("'", path, "' holds no dict of tensors under state_dict, model or module"));
}

StateDict read_torch_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) throw CheckpointError(cat("cannot read '", path, "'"));
  c10::IValue value;
  try {
    value = torch::pickle_load(bytes);
  } catch (const c10::Error& e) {
    const std::string why = split(e.what_without_backtrace(), '\n').front();
    throw CheckpointError(
        cat("cannot read '", path, "' as a torch file (", why,
            "); if it pickles Python objects, convert it with scripts/torch_to_safetensors.py"));
  }
  return find_state_dict(value, path);
}

}  // namespace

std::string LoadReport::summary() const {
  std::string text = cat("loaded ", loaded.size(), " tensors");
  if (!skipped.empty()) text += cat("; skipped ", names_text(skipped));
  if (!missing.empty()) text += cat("; not in the weights (left as initialised): ", names_text(missing));
  if (!misshaped.empty()) text += cat("; other shape (left as initialised): ", names_text(misshaped));
  if (!unexpected.empty()) text += cat("; not in the model (ignored): ", names_text(unexpected));
  return text;
}

StateDict model_state_dict(const torch::nn::Module& model) {
  StateDict state;
  for (const auto& p : model.named_parameters()) state[p.key()] = p.value();
  for (const auto& b : model.named_buffers()) state[b.key()] = b.value();
  return state;
}

LoadReport load_state_dict(torch::nn::Module& model, const StateDict& weights, const LoadOptions& options,
                           const std::string& origin) {
  LoadReport report;
  std::vector<std::string> problems;
  std::vector<std::pair<torch::Tensor, torch::Tensor>> copies;  // model tensor, weights tensor
  const StateDict targets = model_state_dict(model);
  for (const auto& [name, target] : targets) {
    const auto found = weights.find(name);
    if (skipped_by(name, options.skip)) {
      report.skipped.push_back(name);
    } else if (found == weights.end()) {
      report.missing.push_back(name);
      problems.push_back(cat("lacks tensor '", name, "' ", shape_text(target)));
    } else if (!found->second.sizes().equals(target.sizes())) {
      report.misshaped.push_back(
          cat(name, ": weights ", shape_text(found->second), ", model ", shape_text(target)));
      problems.push_back(cat("tensor '", name, "' has shape ", shape_text(found->second),
                             ", the model expects ", shape_text(target)));
    } else {
      report.loaded.push_back(name);
      copies.emplace_back(target, found->second);
    }
  }
  for (const auto& [name, tensor] : weights) {
    if (targets.count(name)) continue;
    if (skipped_by(name, options.skip)) {
      report.skipped.push_back(name);
    } else {
      report.unexpected.push_back(name);
      problems.push_back(cat("has tensor '", name, "' ", shape_text(tensor), " that the model does not"));
    }
  }
  if (options.strict && !problems.empty())
    throw CheckpointError(cat(origin, " does not fit the model: ", names_text(problems, "; ")));

  torch::NoGradGuard no_grad;
  for (auto& [target, source] : copies) target.copy_(source.to(target.scalar_type()));
  return report;
}

StateDict strip_wrapper_prefixes(StateDict weights) {
  for (bool stripped = true; stripped && !weights.empty();) {
    stripped = false;
    for (const std::string prefix : {"module.", "model.", "_orig_mod."}) {
      const bool all = std::all_of(weights.begin(), weights.end(),
                                   [&](const auto& entry) { return entry.first.rfind(prefix, 0) == 0; });
      if (!all) continue;
      StateDict inner;
      for (auto& [name, tensor] : weights) inner[name.substr(prefix.size())] = tensor;
      weights = std::move(inner);
      stripped = true;
    }
  }
  return weights;
}

StateDict read_weights(const std::string& path) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error))
    throw CheckpointError(cat("weights file '", path, "' does not exist"));
  return strip_wrapper_prefixes(is_zip_file(path) ? read_torch_file(path) : read_safetensors(path).tensors);
}

std::map<std::string, std::string> read_weights_metadata(const std::string& path) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error))
    throw CheckpointError(cat("weights file '", path, "' does not exist"));
  if (is_zip_file(path)) return {};
  return read_safetensors_metadata(path);
}

void save_weights(const std::string& path, const StateDict& weights, const std::string& model_name,
                  const std::map<std::string, std::string>& extra) {
  std::map<std::string, std::string> metadata = extra;
  metadata["format"] = "pt";
  metadata["model"] = model_name;
  metadata["softvit_version"] = kVersion;
  write_safetensors(path, weights, metadata);
}

LoadReport init_model_weights(Model& model, const ModelSection& section) {
  if (section.init_from.empty()) return {};
  const std::string origin = cat("model.init_from '", section.init_from, "'");
  std::string family;
  for (const auto& info : registered_models())
    if (info.name == model.name()) family = info.family;
  const StateDict weights = rename_weights(read_weights(section.init_from), name_map_for(family), origin);
  LoadReport report;
  try {
    report = load_state_dict(model, weights, LoadOptions{section.init_strict, section.init_skip}, origin);
  } catch (const CheckpointError& e) {
    throw CheckpointError(cat(e.what(), " (model.init_skip, e.g. [head], leaves tensors out; ",
                              "model.init_strict=false loads whatever fits)"));
  }
  log::info(cat("init from ", section.init_from, ": ", report.summary()));
  if (!report.missing.empty() || !report.misshaped.empty() || !report.unexpected.empty())
    log::warn(cat("init from ", section.init_from, " was partial (model.init_strict is false)"));
  return report;
}

}  // namespace softvit
