#include "dist/backends.h"

#include <cstdlib>

#include "core/error.h"
#include "core/strings.h"
#include "log/log.h"

// Only ProcessGroupGloo's constructor, Options and device factories are used: the class and its
// Options hold gloo objects through shared_ptr alone, so their layout does not depend on which
// gloo headers we compile against (Debian's libgloo-dev is older than the gloo inside the wheel).
#if SOFTVIT_HAVE_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
// nccl.h must be the one the wheel was built with (ncclConfig_t sits inside Options): the
// nvidia-nccl package torch pins; a version check below warns about a mismatch.
#if SOFTVIT_HAVE_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

namespace softvit::dist {

bool have_gloo() { return SOFTVIT_HAVE_GLOO; }
bool have_nccl() { return SOFTVIT_HAVE_NCCL; }

c10::intrusive_ptr<c10d::Backend> make_gloo_backend(const c10::intrusive_ptr<c10d::Store>& store, int rank,
                                                    int size, std::chrono::milliseconds timeout,
                                                    const std::string& master_addr) {
#if SOFTVIT_HAVE_GLOO
  using Gloo = c10d::ProcessGroupGloo;
  auto options = Gloo::Options::create(timeout);
  const char* interface = std::getenv("GLOO_SOCKET_IFNAME");
  const bool loopback =
      master_addr == "localhost" || master_addr.rfind("127.", 0) == 0 || master_addr == "::1";
  if (interface && *interface)
    options->devices.push_back(Gloo::createDeviceForInterface(interface));
  else if (loopback)
    options->devices.push_back(Gloo::createDeviceForHostname("127.0.0.1"));
  else
    options->devices.push_back(Gloo::createDefaultDevice());
  return c10::make_intrusive<Gloo>(store, rank, size, options);
#else
  throw TrainError(
      "this softvit was built without gloo's headers, so it cannot run several processes on the CPU or agree "
      "on stopping; install libgloo-dev (or copy its headers to .gpu/gloo-include) and rebuild");
#endif
}

c10::intrusive_ptr<c10d::Backend> make_nccl_backend(const c10::intrusive_ptr<c10d::Store>& store, int rank,
                                                    int size, std::chrono::milliseconds timeout) {
#if SOFTVIT_HAVE_NCCL
  const auto [major, minor, patch] = c10d::getNcclVersionTuple();  // the library loaded now
  if (major != NCCL_MAJOR || minor != NCCL_MINOR)
    log::warn(cat("NCCL ", major, ".", minor, ".", patch,
                  " is loaded but softvit was compiled against nccl.h ", NCCL_MAJOR, ".", NCCL_MINOR,
                  "; if ranks crash in NCCL, rebuild against the nccl.h of the ",
                  "nvidia-nccl package torch uses (SOFTVIT_NCCL_INCLUDE_DIR)"));
  auto options = c10d::ProcessGroupNCCL::Options::create();
  options->timeout = timeout;
  return c10::make_intrusive<c10d::ProcessGroupNCCL>(store, rank, size, options);
#else
  throw TrainError(
      "this softvit was built without NCCL (nccl.h was not found at build time, or torch has no CUDA); "
      "set dist.backend=gloo or rebuild with SOFTVIT_NCCL_INCLUDE_DIR pointing at nccl.h");
#endif
}

}  // namespace softvit::dist
