#include "dist/process_group.h"

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <chrono>
#include <exception>
#include <sstream>

#include "core/error.h"
#include "core/strings.h"
#include "dist/backends.h"
#include "log/log.h"

namespace softvit::dist {
namespace {

std::chrono::milliseconds millis(double seconds) {
  return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
}

std::vector<uint8_t> bytes(const std::string& s) { return {s.begin(), s.end()}; }
std::string text(const std::vector<uint8_t>& b) { return {b.begin(), b.end()}; }

// The first line where two YAML texts differ, for the mismatch message.
std::string first_difference(const std::string& mine, const std::string& theirs) {
  std::istringstream a(mine), b(theirs);
  std::string la, lb;
  for (int line = 1;; ++line) {
    const bool more_a = static_cast<bool>(std::getline(a, la)),
               more_b = static_cast<bool>(std::getline(b, lb));
    if (!more_a && !more_b) return "";
    if (!more_a) la = "(end)";
    if (!more_b) lb = "(end)";
    if (la != lb) return cat("line ", line, ": this rank has '", la, "', rank 0 has '", lb, "'");
  }
}

}  // namespace

uint64_t fingerprint(const std::string& s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
  return h;
}

Group::Group(const DistEnv& env, const torch::Device& device, double timeout_s)
    : env_(env), device_(device), timeout_s_(timeout_s) {}

Group::~Group() {
  if (!group_) return;
  // A clean end lets the backends finish; on an error a peer may be gone: abort, never block.
  try {
    if (std::uncaught_exceptions() > 0)
      group_->abort();
    else
      group_->shutdown();
  } catch (const std::exception& e) {
    log::warn(cat("rank ", env_.rank, ": closing the process group: ", e.what()));
  }
}

std::shared_ptr<Group> Group::connect(const DistEnv& env, const torch::Device& device,
                                      const DistSection& dist, const std::string& config_yaml) {
  std::shared_ptr<Group> g(new Group(env, device, dist.timeout_s));
  const std::string where = cat("MASTER_ADDR:MASTER_PORT=", env.master());
  c10d::TCPStoreOptions options;
  options.port = static_cast<uint16_t>(env.master_port);
  options.isServer = env.rank == 0 && !env.agent_store;
  options.numWorkers = static_cast<size_t>(env.world_size);
  options.waitWorkers = false;  // the handshake below waits, with a message that names who is missing
  options.timeout = millis(dist.connect_timeout_s);
  try {
    g->store_ = c10::make_intrusive<c10d::TCPStore>(env.master_addr, options);
    if (env.agent_store)  // as torch.distributed does under torchrun
      g->store_ =
          c10::make_intrusive<c10d::PrefixStore>(cat("/worker/attempt_", env.restart_count), g->store_);
  } catch (const c10::Error& e) {
    throw TrainError(cat(
        "rank ", env.rank, ": ",
        options.isServer ? "cannot serve the rendezvous store at " : "cannot reach the rendezvous store at ",
        where, " within dist.connect_timeout_s=", dist.connect_timeout_s,
        " s: ", e.what_without_backtrace()));
  }
  g->handshake(config_yaml, dist.connect_timeout_s);
  g->store_->setTimeout(millis(dist.timeout_s));

  const bool cuda = device.is_cuda();
  const std::string backend = dist.backend == "auto" ? (cuda ? "nccl" : "gloo") : dist.backend;
  if (backend == "nccl" && !cuda)
    throw ConfigError("dist.backend nccl needs run.device cuda; use gloo (or auto) on the CPU");
  g->group_ = c10::make_intrusive<c10d::ProcessGroup>(g->store_, env.rank, env.world_size);
  const auto timeout = millis(dist.timeout_s);
  try {
    if (backend == "nccl") {
      auto nccl = make_nccl_backend(c10::make_intrusive<c10d::PrefixStore>("softvit/cuda/", g->store_),
                                    env.rank, env.world_size, timeout);
      g->group_->setBackend(c10::DeviceType::CUDA, c10d::ProcessGroup::BackendType::NCCL, nccl);
      g->group_->setDefaultBackend(c10d::ProcessGroup::BackendType::NCCL);
    }
    if (backend == "gloo" || have_gloo()) {
      auto gloo = make_gloo_backend(c10::make_intrusive<c10d::PrefixStore>("softvit/cpu/", g->store_),
                                    env.rank, env.world_size, timeout, env.master_addr);
      g->group_->setBackend(c10::DeviceType::CPU, c10d::ProcessGroup::BackendType::GLOO, gloo);
      if (backend == "gloo") {
        if (cuda) g->group_->setBackend(c10::DeviceType::CUDA, c10d::ProcessGroup::BackendType::GLOO, gloo);
        g->group_->setDefaultBackend(c10d::ProcessGroup::BackendType::GLOO);
      }
      g->cpu_backend_ = true;
    }
  } catch (const c10::Error& e) {
    throw TrainError(cat("rank ", env.rank, ": cannot set up the ", backend, " process group with the other ",
                         env.world_size - 1, " ranks (store at ", where, "): ", e.what_without_backtrace()));
  }
  log::info(cat("rank ", env.rank, " of ", env.world_size, " (local rank ", env.local_rank, "): ", backend,
                g->cpu_backend_ && backend != "gloo" ? " + gloo for CPU tensors" : "", ", store at ",
                env.master(), ", device ", device.str()));
  return g;
}

void Group::handshake(const std::string& config_yaml, double connect_timeout_s) {
  // Every rank posts its world size and config fingerprint; rank r > 0 compares itself with rank 0
  // and rank 0 with everyone, so that both ends of a mismatch stop with the same story. Rank 0 also
  // waits for each peer's "seen" before it stops (and takes the store with it).
  const std::string mine = cat("world_size=", env_.world_size, " fingerprint=", fingerprint(config_yaml));
  const auto world_of = [](const std::string& hello) { return std::stoi(hello.substr(hello.find('=') + 1)); };
  const auto mismatch = [&](int peer, const std::string& theirs, const std::string& detail) {
    if (world_of(theirs) != env_.world_size)
      return cat("rank ", env_.rank, ": WORLD_SIZE mismatch: this rank has WORLD_SIZE=", env_.world_size,
                 ", rank ", peer, " has WORLD_SIZE=", world_of(theirs));
    return cat("rank ", env_.rank, ": the resolved config differs from rank ", peer, "'s",
               detail.empty() ? std::string() : " (" + detail + ")",
               "; every rank must get the same config files and --set options");
  };
  std::string error;
  try {
    store_->set(cat("softvit/hello/", env_.rank), bytes(mine));
    if (env_.rank != 0) {
      const std::string theirs = text(store_->get("softvit/hello/0"));
      if (theirs != mine) {
        const bool same_world = world_of(theirs) == env_.world_size;
        error =
            mismatch(0, theirs,
                     same_world ? first_difference(config_yaml, text(store_->get("softvit/config/0"))) : "");
      }
      store_->set(cat("softvit/seen/", env_.rank), bytes("1"));
    } else {
      store_->set("softvit/config/0", bytes(config_yaml));
      for (int peer = 1; peer < env_.world_size && error.empty(); ++peer) {
        const std::string key = cat("softvit/hello/", peer);
        try {
          store_->wait({key});
        } catch (const c10::Error&) {
          throw TrainError(cat("rank 0: rank ", peer, " of WORLD_SIZE=", env_.world_size,
                               " did not reach the store at ", env_.master(),
                               " within dist.connect_timeout_s=", connect_timeout_s, " s"));
        }
        const std::string theirs = text(store_->get(key));
        if (theirs == mine) continue;
        error = mismatch(peer, theirs, "");
        try {
          store_->wait({cat("softvit/seen/", peer)}, std::chrono::seconds(5));
        } catch (const c10::Error&) {
        }
      }
    }
  } catch (const c10::Error& e) {
    throw TrainError(cat("rank ", env_.rank, ": start-up handshake through the store at ", env_.master(),
                         " failed within dist.connect_timeout_s=", connect_timeout_s,
                         " s: ", e.what_without_backtrace()));
  }
  if (!error.empty()) throw TrainError(error);
}

void Group::wait(const c10::intrusive_ptr<c10d::Work>& work, const std::string& what) {
  const auto failed = [&](const std::string& why) {
    return TrainError(cat("rank ", env_.rank, ": ", what, " across ", env_.world_size,
                          " ranks failed (a rank died, or it took longer than dist.timeout_s=", timeout_s_,
                          " s): ", why));
  };
  try {
    work->wait();
  } catch (const c10::Error& e) {
    throw failed(e.what_without_backtrace());
  } catch (const std::exception& e) {  // gloo's own errors
    throw failed(e.what());
  }
}

torch::Device Group::wire_device(const torch::Device& on) const {
  return on.is_cpu() && !cpu_backend_ ? device_ : on;
}

void Group::broadcast(const std::vector<torch::Tensor>& tensors) {
  torch::NoGradGuard no_grad;
  for (const auto& t : tensors) {
    std::vector<torch::Tensor> one{t};
    wait(group_->broadcast(one, c10d::BroadcastOptions{}), "broadcast from rank 0");
  }
}

torch::Tensor Group::sum(const torch::Tensor& value) {
  std::vector<torch::Tensor> one{
      value.detach().to(wire_device(value.device()), /*non_blocking=*/false, /*copy=*/true)};
  wait(group_->allreduce(one), "all-reduce");
  return one[0].to(value.device());
}

double Group::sum(double value) { return sum(torch::tensor({value}, torch::kFloat64)).item<double>(); }

bool Group::any(bool flag) { return sum(torch::tensor({flag ? 1 : 0}, torch::kInt32)).item<int>() > 0; }

std::vector<torch::Tensor> Group::all_gather(const torch::Tensor& value) {
  const auto input = value.contiguous().to(wire_device(value.device()));
  std::vector<std::vector<torch::Tensor>> outputs(1);
  for (int r = 0; r < env_.world_size; ++r) outputs[0].push_back(torch::empty_like(input));
  std::vector<torch::Tensor> inputs{input};
  wait(group_->allgather(outputs, inputs), "all-gather");
  for (auto& t : outputs[0]) t = t.to(value.device());
  return outputs[0];
}

}  // namespace softvit::dist
