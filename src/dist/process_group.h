// A process group over c10d: a TCPStore that rank 0 serves, a start-up handshake (same world size,
// same resolved config on every rank), then NCCL for CUDA tensors and Gloo for CPU tensors, and
// the few collectives training needs. Every failure (store unreachable, mismatch, a collective
// past its timeout) throws TrainError naming the rank, the peer or MASTER_ADDR:MASTER_PORT.
#pragma once
#include <torch/torch.h>
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>

#include <memory>
#include <string>
#include <vector>

#include "core/config/dist_section.h"
#include "dist/env.h"

namespace softvit::dist {

class Group {
 public:
  // `device` is where the model lives (cuda:LOCAL_RANK or cpu); `config_yaml` is compared across
  // ranks; `dist` gives the backend and the timeouts.
  static std::shared_ptr<Group> connect(const DistEnv& env, const torch::Device& device,
                                        const DistSection& dist, const std::string& config_yaml);

  ~Group();
  Group(const Group&) = delete;
  Group& operator=(const Group&) = delete;

  int rank() const { return env_.rank; }
  int size() const { return env_.world_size; }
  const torch::Device& device() const { return device_; }
  const c10::intrusive_ptr<c10d::ProcessGroup>& process_group() const { return group_; }

  // In place, from rank 0; tensors on the device.
  void broadcast(const std::vector<torch::Tensor>& tensors);
  // Sum over ranks of `value` (any device; a CPU tensor goes through Gloo when there is one).
  torch::Tensor sum(const torch::Tensor& value);
  double sum(double value);
  // True on every rank when `flag` is true on any; through the CPU where possible (no GPU sync).
  bool any(bool flag);
  // Every rank's `value` (same shape and type on every rank), in rank order.
  std::vector<torch::Tensor> all_gather(const torch::Tensor& value);

 private:
  Group(const DistEnv& env, const torch::Device& device, double timeout_s);
  void handshake(const std::string& config_yaml, double connect_timeout_s);
  // Waits for `work`, turning a failure (a timeout, a peer gone) into a TrainError about `what`.
  void wait(const c10::intrusive_ptr<c10d::Work>& work, const std::string& what);
  torch::Device wire_device(const torch::Device& on) const;

  DistEnv env_;
  torch::Device device_;
  double timeout_s_;
  bool cpu_backend_ = false;  // Gloo serves CPU tensors
  c10::intrusive_ptr<c10d::Store> store_;
  c10::intrusive_ptr<c10d::ProcessGroup> group_;
};

// 64-bit FNV-1a of `text`: a fingerprint that is the same on every machine.
uint64_t fingerprint(const std::string& text);

}  // namespace softvit::dist
