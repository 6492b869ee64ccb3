// Runs the ranks of a job as child processes and watches them: their output comes through line by
// line, tagged "[rank R]"; the first rank that fails (non-zero exit or a signal) stops the job:
// the others get SIGTERM, then SIGKILL after a grace period. SIGINT/SIGTERM to the launcher are
// forwarded to every rank; a rank never outlives the launcher (PR_SET_PDEATHSIG).
#pragma once
#include <string>
#include <vector>

namespace softvit::cli {

struct RankSpec {
  int rank = 0;
  std::vector<std::string> argv;                         // argv[0] is the program to execute
  std::vector<std::pair<std::string, std::string>> env;  // set on top of the launcher's environment
};

struct SupervisorOptions {
  double grace_s = 10;  // between SIGTERM and SIGKILL for the survivors of a failed rank
};

// Starts every rank and returns when all have ended: 0 when all succeeded, else the status of the
// first failure (its exit code, or 128 + signal), or 130 when the ranks stopped on a signal (forwarded
// by the launcher or sent to one rank). A rank's exit status 130 is not a failure: the ranks agree on
// a signal stop, so the launcher lets the others end by themselves.
int supervise(const std::vector<RankSpec>& ranks, const SupervisorOptions& options);

// "exit status 3", "signal 11 (Segmentation fault)" for a waitpid status.
std::string describe_wait_status(int status);

}  // namespace softvit::cli
