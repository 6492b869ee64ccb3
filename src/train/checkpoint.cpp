#include "train/checkpoint.h"

#include <torch/csrc/jit/serialization/pickle.h>

#include <filesystem>
#include <set>
#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/strings.h"

namespace softvit {
namespace {

constexpr const char* kFormat = "softvit-checkpoint/1";

std::string shape_of(const torch::Tensor& t) {
  std::vector<std::string> dims;
  for (auto d : t.sizes()) dims.push_back(std::to_string(d));
  return "[" + join(dims, ", ") + "]";
}

// Parameters and buffers by their dotted names, as timm's state_dict lists them.
std::vector<std::pair<std::string, torch::Tensor>> state_of(const torch::nn::Module& model) {
  std::vector<std::pair<std::string, torch::Tensor>> state;
  for (const auto& p : model.named_parameters()) state.emplace_back(p.key(), p.value());
  for (const auto& b : model.named_buffers()) state.emplace_back(b.key(), b.value());
  return state;
}

c10::impl::GenericDict read_dict(const std::string& path) {
  if (!std::filesystem::exists(path)) throw CheckpointError(cat("checkpoint '", path, "' does not exist"));
  const std::string bytes = read_file(path);
  try {
    auto value = torch::pickle_load(std::vector<char>(bytes.begin(), bytes.end()));
    if (value.isGenericDict()) {
      auto dict = value.toGenericDict();
      if (dict.contains("format") && dict.at("format").toStringRef() == kFormat) return dict;
    }
  } catch (const c10::Error&) {
  }
  throw CheckpointError(cat("'", path, "' is not a softvit checkpoint (unreadable or truncated)"));
}

CheckpointInfo info_of(const c10::impl::GenericDict& d) {
  CheckpointInfo info;
  info.model_name = d.at("model_name").toStringRef();
  info.config_yaml = d.at("config").toStringRef();
  for (const auto& c : d.at("classes").toListRef()) info.classes.push_back(c.toStringRef());
  info.epoch = d.at("epoch").toInt();
  info.step = d.at("step").toInt();
  info.best_metric = d.at("best_metric").toDouble();
  return info;
}

}  // namespace

void save_checkpoint(const std::string& path, const torch::nn::Module& model,
                     torch::optim::Optimizer* optimizer, const CheckpointInfo& info) {
  c10::Dict<std::string, torch::Tensor> tensors;
  for (const auto& [name, tensor] : state_of(model)) tensors.insert(name, tensor.detach().cpu());
  c10::List<std::string> classes;
  for (const auto& c : info.classes) classes.push_back(c);

  c10::impl::GenericDict d(c10::StringType::get(), c10::AnyType::get());
  d.insert("format", std::string(kFormat));
  d.insert("model_name", info.model_name);
  d.insert("config", info.config_yaml);
  d.insert("classes", classes);
  d.insert("epoch", info.epoch);
  d.insert("step", info.step);
  d.insert("best_metric", info.best_metric);
  d.insert("model", tensors);
  if (optimizer) {
    std::ostringstream stream;
    torch::serialize::OutputArchive archive;
    optimizer->save(archive);
    archive.save_to(stream);
    d.insert("optimizer", stream.str());
  }
  const std::vector<char> bytes = torch::pickle_save(d);
  if (const auto parent = std::filesystem::path(path).parent_path(); !parent.empty())
    std::filesystem::create_directories(parent);
  write_file_atomic(path, bytes.data(), bytes.size());
}

CheckpointInfo read_checkpoint_info(const std::string& path) { return info_of(read_dict(path)); }

CheckpointInfo load_checkpoint(const std::string& path, torch::nn::Module& model,
                               torch::optim::Optimizer* optimizer) {
  const auto d = read_dict(path);
  const auto info = info_of(d);
  const auto stored = c10::impl::toTypedDict<std::string, torch::Tensor>(d.at("model").toGenericDict());
  const std::string holds = cat("checkpoint '", path, "' (model '", info.model_name, "')");

  std::set<std::string> expected;
  torch::NoGradGuard no_grad;
  for (auto& [name, tensor] : state_of(model)) {
    expected.insert(name);
    if (!stored.contains(name)) throw CheckpointError(cat(holds, " lacks tensor '", name, "'"));
    const torch::Tensor source = stored.at(name);
    if (!source.sizes().equals(tensor.sizes()))
      throw CheckpointError(cat(holds, ": tensor '", name, "' has shape ", shape_of(source), ", the model expects ", shape_of(tensor)));
    tensor.copy_(source);
  }
  for (const auto& entry : stored)
    if (!expected.count(entry.key()))
      throw CheckpointError(cat(holds, " has tensor '", entry.key(), "' that the model does not"));

  if (optimizer) {
    if (!d.contains("optimizer")) throw CheckpointError(cat(holds, " has no optimizer state"));
    std::istringstream stream(d.at("optimizer").toStringRef());
    torch::serialize::InputArchive archive;
    archive.load_from(stream);
    optimizer->load(archive);
  }
  return info;
}

}  // namespace softvit
