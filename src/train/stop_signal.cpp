#include "train/stop_signal.h"

#include <csignal>
#include <cstdlib>

namespace softvit {
namespace {

volatile std::sig_atomic_t requested = 0;

extern "C" void on_stop_signal(int number) {
  if (requested) std::_Exit(128 + number);  // second signal: the user really wants out
  requested = number;
}

}  // namespace

void install_stop_handlers() {
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
}

bool stop_requested() { return requested != 0; }
int stop_signal_number() { return requested; }
void request_stop(int signal_number) { requested = signal_number; }
void clear_stop_request() { requested = 0; }

}  // namespace softvit
