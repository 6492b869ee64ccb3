#include "dist/env.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "core/error.h"
#include "core/strings.h"

namespace softvit::dist {
namespace {

constexpr const char* kLaunchers = "(set by softvit launch, torchrun or your srun script)";

// An integer in [low, high] from variable `name`; `fallback` when unset (nullptr: required).
int integer_of(const std::function<const char*(const char*)>& lookup, const char* name, const int* fallback,
               long low, long high) {
  const char* text = lookup(name);
  if (!text || !*text) {
    if (fallback) return *fallback;
    throw ConfigError(cat("environment variable ", name,
                          " is not set; a multi-process job needs RANK, WORLD_SIZE, ",
                          "MASTER_ADDR and MASTER_PORT ", kLaunchers));
  }
  errno = 0;
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0')
    throw ConfigError(cat("environment variable ", name, "='", text, "' is not an integer"));
  if (value < low || value > high)
    throw ConfigError(cat("environment variable ", name, "=", value, " is outside ", low, "..", high));
  return static_cast<int>(value);
}

}  // namespace

std::string DistEnv::master() const { return cat(master_addr, ":", master_port); }

DistEnv parse_dist_env(const std::function<const char*(const char*)>& lookup) {
  DistEnv env;
  const int one = 1;
  env.world_size = integer_of(lookup, "WORLD_SIZE", &one, 1, 1 << 20);
  if (!env.distributed()) return env;
  env.rank = integer_of(lookup, "RANK", nullptr, 0, 1 << 20);
  if (env.rank >= env.world_size)
    throw ConfigError(
        cat("environment variable RANK=", env.rank, " must be below WORLD_SIZE=", env.world_size));
  env.local_rank = integer_of(lookup, "LOCAL_RANK", &env.rank, 0, 1 << 20);
  env.local_world_size = integer_of(lookup, "LOCAL_WORLD_SIZE", &one, 1, 1 << 20);
  const char* addr = lookup("MASTER_ADDR");
  if (!addr || !*addr)
    throw ConfigError(cat("environment variable MASTER_ADDR is not set; WORLD_SIZE=", env.world_size,
                          " needs the host of rank 0 ", kLaunchers));
  env.master_addr = addr;
  env.master_port = integer_of(lookup, "MASTER_PORT", nullptr, 1, 65535);
  const char* agent = lookup("TORCHELASTIC_USE_AGENT_STORE");
  env.agent_store = agent && std::string(agent) == "True";
  const int zero = 0;
  env.restart_count = integer_of(lookup, "TORCHELASTIC_RESTART_COUNT", &zero, 0, 1 << 20);
  return env;
}

DistEnv dist_env() {
  return parse_dist_env([](const char* name) { return std::getenv(name); });
}

int free_local_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  const bool found = fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                     ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  if (fd >= 0) ::close(fd);
  if (!found) throw Error("cannot find a free local port; give --master 127.0.0.1:PORT");
  return ntohs(address.sin_port);
}

}  // namespace softvit::dist
