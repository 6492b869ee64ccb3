// The c10d backends: Gloo (CPU tensors, and control messages of GPU jobs) and NCCL (CUDA tensors).
// The one place that sees the backend headers (gloo's and nccl.h), so that only one file depends
// on which of them the build found (SOFTVIT_HAVE_GLOO, SOFTVIT_HAVE_NCCL; see CMakeLists.txt).
#pragma once
#include <torch/csrc/distributed/c10d/Backend.hpp>
#include <torch/csrc/distributed/c10d/Store.hpp>

#include <chrono>
#include <string>

namespace softvit::dist {

bool have_gloo();
bool have_nccl();

// `master_addr` picks the network device: loopback when rank 0 is on this host's loopback,
// the interface GLOO_SOCKET_IFNAME names when set, else the address this host's name resolves to.
c10::intrusive_ptr<c10d::Backend> make_gloo_backend(const c10::intrusive_ptr<c10d::Store>& store, int rank,
                                                    int size, std::chrono::milliseconds timeout,
                                                    const std::string& master_addr);

// Communicators are created on first use, on `device_index` (which the caller made current).
c10::intrusive_ptr<c10d::Backend> make_nccl_backend(const c10::intrusive_ptr<c10d::Store>& store, int rank,
                                                    int size, std::chrono::milliseconds timeout);

}  // namespace softvit::dist
