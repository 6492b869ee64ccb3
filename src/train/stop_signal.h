// SIGINT / SIGTERM ask the trainer to stop at the next step boundary, save and exit cleanly.
// A second signal exits at once.
#pragma once

namespace softvit {

// Installs the handlers (idempotent).
void install_stop_handlers();
// True once SIGINT or SIGTERM arrived; the signal number is in stop_signal_number().
bool stop_requested();
int stop_signal_number();
// For tests and the --stop-after-steps budget.
void request_stop(int signal_number);
void clear_stop_request();

}  // namespace softvit
