// Where this process stands in a multi-process job, from the variables that `softvit launch`,
// torchrun and Slurm scripts set: RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT (and
// LOCAL_WORLD_SIZE, optional).
// Without WORLD_SIZE (or with WORLD_SIZE=1) a process trains alone.
#pragma once
#include <functional>
#include <string>

namespace softvit::dist {

struct DistEnv {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  int local_world_size = 1;  // processes on this machine (LOCAL_WORLD_SIZE; 1 when unset)
  std::string master_addr;   // host of the rendezvous store (rank 0 serves it)
  int master_port = 0;
  // torchrun's agent already serves the store at MASTER_ADDR:MASTER_PORT (TORCHELASTIC_USE_AGENT_STORE):
  // rank 0 connects as a client, and keys live under /worker/attempt_<TORCHELASTIC_RESTART_COUNT>.
  bool agent_store = false;
  int restart_count = 0;
  bool distributed() const { return world_size > 1; }
  std::string master() const;  // "addr:port"
};

// Reads the variables through `lookup` (nullptr: unset). Throws ConfigError naming the variable
// for a missing or malformed value, a rank outside [0, WORLD_SIZE) or a port outside 1..65535.
DistEnv parse_dist_env(const std::function<const char*(const char*)>& lookup);

// The same from the process environment.
DistEnv dist_env();

// A TCP port free on the loopback right now (the kernel picks it), for a job on one machine.
int free_local_port();

}  // namespace softvit::dist
