#include "train/checkpoint.h"

#include <ATen/CPUGeneratorImpl.h>
#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/serialization/export.h>
#include <torch/csrc/jit/serialization/pickle.h>
#include <torch/csrc/jit/serialization/pickler.h>

#include <filesystem>
#include <set>
#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/strings.h"

namespace softvit {
namespace {

// Version 2 loads in Python with a plain torch.load (weights_only): untagged dicts and lists, and
// the optimizer archive as a uint8 tensor. Version 1 (torch::pickle_save: TorchScript type tags,
// the optimizer archive as a str that Python cannot decode) is still read.
constexpr const char* kFormat = "softvit-checkpoint/2";
constexpr const char* kFormatV1 = "softvit-checkpoint/1";

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

c10::impl::GenericDict tensors_of(const torch::nn::Module& module) {
  c10::impl::GenericDict tensors(c10::StringType::get(), c10::TensorType::get());
  for (const auto& [name, tensor] : state_of(module)) tensors.insert(name, tensor.detach().cpu());
  return tensors;
}

// Copies stored tensors into `module` by name; anything missing, extra or misshaped is an error.
// `stored` is a dict of name to tensor, typed (version 1) or not (version 2).
void copy_into(torch::nn::Module& module, const c10::impl::GenericDict& stored, const std::string& holds) {
  std::set<std::string> expected;
  torch::NoGradGuard no_grad;
  for (auto& [name, tensor] : state_of(module)) {
    expected.insert(name);
    const auto found = stored.find(name);
    if (found == stored.end()) throw CheckpointError(cat(holds, " lacks tensor '", name, "'"));
    const torch::Tensor source = found->value().toTensor();
    if (!source.sizes().equals(tensor.sizes()))
      throw CheckpointError(cat(holds, ": tensor '", name, "' has shape ", shape_of(source),
                                ", the model expects ", shape_of(tensor)));
    tensor.copy_(source);
  }
  for (const auto& entry : stored)
    if (!expected.count(entry.key().toStringRef()))
      throw CheckpointError(
          cat(holds, " has tensor '", entry.key().toStringRef(), "' that the model does not"));
}

// torch.save's zip layout (data.pkl and data/<n> per storage) around a pickle without TorchScript
// type tags: torch.load's weights-only unpickler refuses torch.jit._pickle.restore_type_tag, which
// torch::pickle_save wraps around every dict and list.
std::vector<char> pickle_for_torch_load(const c10::IValue& value) {
  std::vector<char> pickle;
  torch::jit::Pickler pickler(
      [&](const char* data, size_t n) { pickle.insert(pickle.end(), data, data + n); },
      /*tensor_table=*/nullptr, /*type_renamer=*/nullptr,
      /*memoized_class_types=*/nullptr, /*get_tensor_id=*/nullptr,
      /*tag_aggregates=*/false);
  pickler.protocol();
  pickler.pushIValue(value);
  pickler.stop();
  std::vector<char> out;
  caffe2::serialize::PyTorchStreamWriter writer([&](const void* data, size_t n) {
    out.insert(out.end(), static_cast<const char*>(data), static_cast<const char*>(data) + n);
    return n;
  });
  torch::jit::writeArchiveAndTensors("data", pickle.data(), pickle.size(), pickler.tensorData(), writer);
  writer.writeEndOfFile();
  return out;
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
      if (dict.contains("format") &&
          (dict.at("format").toStringRef() == kFormat || dict.at("format").toStringRef() == kFormatV1))
        return dict;
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
  c10::impl::GenericList classes(c10::StringType::get());
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
  c10::impl::GenericList top_k(c10::TupleType::create({c10::FloatType::get(), c10::IntType::get()}));
  for (const auto& [metric, epoch] : info.top_k) top_k.push_back(c10::ivalue::Tuple::create(metric, epoch));
  d.insert("top_k", top_k);
  if (!info.input_size.empty()) d.insert("input_size", c10::List<int64_t>(info.input_size));
  d.insert("model", tensors_of(model));
  if (ema) d.insert("ema", tensors_of(*ema));
  // A List[Any]: a List[Tensor] is pickled through torch.jit._pickle.build_tensorlist.
  c10::impl::GenericList rng(c10::AnyType::get());
  for (auto& generator : global_generators()) rng.push_back(generator.get_state());
  d.insert("rng", rng);
  if (optimizer) {  // LibTorch's own archive, as bytes: Python reads it as a uint8 tensor
    std::ostringstream stream;
    torch::serialize::OutputArchive archive;
    optimizer->save(archive);
    archive.save_to(stream);
    std::string bytes = stream.str();
    d.insert("optimizer",
             torch::from_blob(bytes.data(), {static_cast<int64_t>(bytes.size())}, torch::kUInt8).clone());
  }
  const std::vector<char> bytes = pickle_for_torch_load(d);
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
  copy_into(model, d.at("model").toGenericDict(), holds);
  if (ema) {
    if (!d.contains("ema")) throw CheckpointError(cat(holds, " has no EMA weights (was train.ema_decay 0?)"));
    copy_into(*ema, d.at("ema").toGenericDict(), holds + " EMA");
  }
  if (restore_rng) {
    const auto states = d.at("rng").toListRef();
    auto generators = global_generators();
    for (size_t i = 0; i < std::min<size_t>(states.size(), generators.size()); ++i)
      generators[i].set_state(states[i].toTensor());
  }

  if (optimizer) {
    if (!d.contains("optimizer")) throw CheckpointError(cat(holds, " has no optimizer state"));
    const c10::IValue stored = d.at("optimizer");
    std::string archive_bytes;
    if (stored.isString()) {  // version 1
      archive_bytes = stored.toStringRef();
    } else {
      const torch::Tensor t = stored.toTensor().contiguous();
      archive_bytes.assign(reinterpret_cast<const char*>(t.data_ptr<uint8_t>()),
                           static_cast<size_t>(t.numel()));
    }
    std::istringstream stream(archive_bytes);
    torch::serialize::InputArchive archive;
    archive.load_from(stream);
    optimizer->load(archive);
  }
  return info;
}

}  // namespace softvit
