#include "train/checkpoint.h"

#include <ATen/CPUGeneratorImpl.h>
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

c10::Dict<std::string, torch::Tensor> tensors_of(const torch::nn::Module& module) {
  c10::Dict<std::string, torch::Tensor> tensors;
  for (const auto& [name, tensor] : state_of(module)) tensors.insert(name, tensor.detach().cpu());
  return tensors;
}

// Copies stored tensors into `module` by name; anything missing, extra or misshaped is an error.
void copy_into(torch::nn::Module& module, const c10::Dict<std::string, torch::Tensor>& stored,
               const std::string& holds) {
  std::set<std::string> expected;
  torch::NoGradGuard no_grad;
  for (auto& [name, tensor] : state_of(module)) {
    expected.insert(name);
    if (!stored.contains(name)) throw CheckpointError(cat(holds, " lacks tensor '", name, "'"));
    const torch::Tensor source = stored.at(name);
    if (!source.sizes().equals(tensor.sizes()))
      throw CheckpointError(cat(holds, ": tensor '", name, "' has shape ", shape_of(source),
                                ", the model expects ", shape_of(tensor)));
    tensor.copy_(source);
  }
  for (const auto& entry : stored)
    if (!expected.count(entry.key()))
      throw CheckpointError(cat(holds, " has tensor '", entry.key(), "' that the model does not"));
}

std::vector<at::Generator> global_generators() {
  std::vector<at::Generator> generators = {at::detail::getDefaultCPUGenerator()};
  if (torch::cuda::is_available())
    for (c10::DeviceIndex i = 0; i < static_cast<c10::DeviceIndex>(torch::cuda::device_count()); ++i)
      generators.push_back(at::globalContext().defaultGenerator(at::Device(at::kCUDA, i)));
  return generators;
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
  info.has_ema = d.contains("ema");
  for (const auto& c : d.at("classes").toListRef()) info.classes.push_back(c.toStringRef());
  info.epoch = d.at("epoch").toInt();
  info.step = d.at("step").toInt();
  info.best_metric = d.at("best_metric").toDouble();
  info.batch_in_epoch = d.at("batch_in_epoch").toInt();
  info.best_epoch = d.at("best_epoch").toInt();
  info.epochs_without_improvement = d.at("epochs_without_improvement").toInt();
  for (const auto& item : d.at("top_k").toListRef()) {
    const auto pair = item.toTupleRef().elements();
    info.top_k.emplace_back(pair[0].toDouble(), pair[1].toInt());
  }
  if (d.contains("input_size"))  // checkpoints before it was recorded lack it
    for (const auto& v : d.at("input_size").toListRef()) info.input_size.push_back(v.toInt());
  return info;
}

}  // namespace

void save_checkpoint(const std::string& path, const torch::nn::Module& model,
                     torch::optim::Optimizer* optimizer, const CheckpointInfo& info,
                     const torch::nn::Module* ema) {
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
  d.insert("batch_in_epoch", info.batch_in_epoch);
  d.insert("best_epoch", info.best_epoch);
  d.insert("epochs_without_improvement", info.epochs_without_improvement);
  c10::List<std::tuple<double, int64_t>> top_k;
  for (const auto& [metric, epoch] : info.top_k) top_k.push_back(std::make_tuple(metric, epoch));
  d.insert("top_k", top_k);
  if (!info.input_size.empty()) d.insert("input_size", c10::List<int64_t>(info.input_size));
  d.insert("model", tensors_of(model));
  if (ema) d.insert("ema", tensors_of(*ema));
  c10::List<torch::Tensor> rng;
  for (auto& generator : global_generators()) rng.push_back(generator.get_state());
  d.insert("rng", rng);
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
                               torch::optim::Optimizer* optimizer, torch::nn::Module* ema, bool restore_rng) {
  const auto d = read_dict(path);
  const auto info = info_of(d);
  const std::string holds = cat("checkpoint '", path, "' (model '", info.model_name, "')");
  copy_into(model, c10::impl::toTypedDict<std::string, torch::Tensor>(d.at("model").toGenericDict()), holds);
  if (ema) {
    if (!d.contains("ema")) throw CheckpointError(cat(holds, " has no EMA weights (was train.ema_decay 0?)"));
    copy_into(*ema, c10::impl::toTypedDict<std::string, torch::Tensor>(d.at("ema").toGenericDict()),
              holds + " EMA");
  }
  if (restore_rng) {
    const auto states = d.at("rng").toTensorList();
    auto generators = global_generators();
    for (size_t i = 0; i < std::min<size_t>(states.size(), generators.size()); ++i)
      generators[i].set_state(states.get(i));
  }

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
