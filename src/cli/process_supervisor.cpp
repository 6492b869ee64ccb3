#include "cli/process_supervisor.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <stdexcept>

#include "core/strings.h"
#include "log/log.h"

namespace softvit::cli {
namespace {

volatile std::sig_atomic_t pending_signal = 0;
extern "C" void on_launcher_signal(int number) { pending_signal = number; }

using Clock = std::chrono::steady_clock;

struct Child {
  int rank = 0;
  pid_t pid = -1;
  int out = -1, err = -1;  // read ends of its stdout and stderr
  std::string out_partial, err_partial;
  bool running = false;
};

// Writes whole lines of `data` to `fd`, each tagged; keeps an unfinished line in `partial`.
void emit_lines(int fd, int rank, std::string& partial, const char* data, size_t n, bool flush) {
  partial.append(data, n);
  size_t start = 0;
  for (size_t nl; (nl = partial.find('\n', start)) != std::string::npos; start = nl + 1) {
    const std::string line = cat("[rank ", rank, "] ", partial.substr(start, nl - start + 1));
    (void)!::write(fd, line.data(), line.size());
  }
  partial.erase(0, start);
  if (flush && !partial.empty()) {
    const std::string line = cat("[rank ", rank, "] ", partial, "\n");
    (void)!::write(fd, line.data(), line.size());
    partial.clear();
  }
}

// Reads what is available on `fd` (non-blocking); closes it at end of file.
void drain(int& fd, int to, int rank, std::string& partial) {
  if (fd < 0) return;
  char buffer[8192];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      emit_lines(to, rank, partial, buffer, static_cast<size_t>(n), false);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    emit_lines(to, rank, partial, nullptr, 0, true);  // end of file or error: the child is gone
    ::close(fd);
    fd = -1;
    return;
  }
}

pid_t spawn(const RankSpec& spec, int& out, int& err) {
  int out_pipe[2], err_pipe[2];
  if (::pipe(out_pipe) != 0 || ::pipe(err_pipe) != 0)
    throw std::runtime_error(cat("pipe: ", std::strerror(errno)));
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(cat("fork: ", std::strerror(errno)));
  if (pid == 0) {
    // Child: its own process group (a terminal's Ctrl-C reaches only the launcher, which forwards
    // it once), killed with the launcher, output into the pipes.
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the launcher died before prctl
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    ::dup2(out_pipe[1], STDOUT_FILENO);
    ::dup2(err_pipe[1], STDERR_FILENO);
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) ::close(fd);
    for (const auto& [key, value] : spec.env) ::setenv(key.c_str(), value.c_str(), 1);
    std::vector<char*> argv;
    for (const auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    const std::string message = cat("cannot execute ", spec.argv[0], ": ", std::strerror(errno), "\n");
    (void)!::write(STDERR_FILENO, message.data(), message.size());
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also from here, so that a signal sent right away reaches the group
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  out = out_pipe[0];
  err = err_pipe[0];
  for (int fd : {out, err}) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  return pid;
}

void signal_all(std::vector<Child>& children, int signal_number) {
  for (auto& c : children)
    if (c.running) ::kill(-c.pid, signal_number);
}

}  // namespace

std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) return cat("exit status ", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return cat("signal ", WTERMSIG(status), " (", ::strsignal(WTERMSIG(status)), ")");
  return cat("wait status ", status);
}

int supervise(const std::vector<RankSpec>& ranks, const SupervisorOptions& options) {
  pending_signal = 0;
  struct sigaction action {};
  action.sa_handler = on_launcher_signal;
  struct sigaction old_int {
  }, old_term{};
  ::sigaction(SIGINT, &action, &old_int);
  ::sigaction(SIGTERM, &action, &old_term);

  std::vector<Child> children(ranks.size());
  for (size_t i = 0; i < ranks.size(); ++i) {
    children[i].rank = ranks[i].rank;
    children[i].pid = spawn(ranks[i], children[i].out, children[i].err);
    children[i].running = true;
  }
  log::info(cat("launched ", ranks.size(), " ranks"));

  int result = 0, forwarded = 0;
  bool failed = false, killed = false;
  Clock::time_point kill_at{};
  size_t running = children.size();
  while (running > 0) {
    std::vector<pollfd> fds;
    for (auto& c : children)
      for (int fd : {c.out, c.err})
        if (fd >= 0) fds.push_back({fd, POLLIN, 0});
    ::poll(fds.data(), fds.size(), 100);
    for (auto& c : children) {
      drain(c.out, STDOUT_FILENO, c.rank, c.out_partial);
      drain(c.err, STDERR_FILENO, c.rank, c.err_partial);
    }
    if (const int sig = pending_signal) {
      pending_signal = 0;
      ++forwarded;
      log::warn(cat("launcher: forwarding signal ", sig, " to every rank"));
      signal_all(children, sig);
      if (forwarded == 1 && result == 0) result = 130;
    }
    int status = 0;
    for (pid_t pid; running > 0 && (pid = ::waitpid(-1, &status, WNOHANG)) > 0;) {
      for (auto& c : children) {
        if (c.pid != pid) continue;
        c.running = false;
        --running;
        drain(c.out, STDOUT_FILENO, c.rank, c.out_partial);  // its last words before ours
        drain(c.err, STDERR_FILENO, c.rank, c.err_partial);
        // Exit status 130: the rank stopped on a signal after the job saved. The ranks agree on such
        // a stop, so the others are ending too; stopping them now could cut rank 0's save short.
        const bool stopped_on_signal = WIFEXITED(status) && WEXITSTATUS(status) == 130;
        const bool ok = (WIFEXITED(status) && WEXITSTATUS(status) == 0) || stopped_on_signal;
        if (ok) {
          log::info(cat("rank ", c.rank, " (pid ", pid, ") finished: ", describe_wait_status(status),
                        stopped_on_signal ? " (stopped on a signal)" : ""));
          if (stopped_on_signal && result == 0) result = 130;
        } else if (!failed) {
          failed = true;
          result = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
          if (result == 0) result = 1;
          log::error(cat("rank ", c.rank, " (pid ", pid, ") failed: ", describe_wait_status(status),
                         "; stopping the other ranks (SIGTERM, SIGKILL after ", options.grace_s, " s)"));
          signal_all(children, SIGTERM);
          kill_at = Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(options.grace_s * 1000));
        } else {
          log::warn(cat("rank ", c.rank, " (pid ", pid, ") ended: ", describe_wait_status(status)));
        }
      }
    }
    if (failed && !killed && running > 0 && Clock::now() >= kill_at) {
      log::warn(cat("launcher: ", running, " rank(s) still running after ", options.grace_s, " s: SIGKILL"));
      signal_all(children, SIGKILL);
      killed = true;
    }
  }
  for (auto& c : children) {  // what is left in the pipes
    drain(c.out, STDOUT_FILENO, c.rank, c.out_partial);
    drain(c.err, STDERR_FILENO, c.rank, c.err_partial);
  }
  ::sigaction(SIGINT, &old_int, nullptr);
  ::sigaction(SIGTERM, &old_term, nullptr);
  return result;
}

}  // namespace softvit::cli
