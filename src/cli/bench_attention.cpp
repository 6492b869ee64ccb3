// softvit bench attention: time and peak memory of one attention forward + backward on the CPU,
// for growing token counts, to show linear (soft with fixed landmarks, seqnorm, sima) against
// quadratic (explicit softmax(QK^T)V) growth. Each measurement runs in a fresh forked process, so
// one size cannot inherit another's heap, a run can be stopped at a time limit, and an
// out-of-memory kill ends only that row. The parent process never runs tensor code before it
// forks (OpenMP is not fork-safe once its pool exists).
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <torch/version.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "cli/commands.h"
#include "cli/memory_probe.h"
#include "core/strings.h"
#include "models/attention_registry.h"

namespace softvit::cli {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;

struct Settings {
  std::vector<int64_t> tokens = {1024, 2048, 4096, 8192, 16384, 32768, 65536};
  std::vector<std::string> kinds = {"soft", "seqnorm", "sima", "softmax"};
  int64_t batch = 1, dim = 64, heads = 2;
  int64_t landmarks = 49, sr_ratio = 8, local_conv = 9;  // soft: SOFT stage 1 with 7x7 fixed landmarks
  int threads = 2, repeats = 3;
  double max_softmax_mib = 4096, timeout_s = 120;
};

struct Result {
  std::string status = "ok";  // ok | skipped | failed | timeout
  std::string error;          // why it failed
  double ms = 0, tensor_mib = 0, rss_mib = 0;
};

// A grid as square as the token count allows (the attentions that need one get h x w).
std::pair<int64_t, int64_t> grid_for(int64_t n) {
  int64_t h = 1;
  for (int64_t d = 1; d * d <= n; ++d)
    if (n % d == 0) h = d;
  return {h, n / h};
}

// Explicit softmax at its peak holds about four B x heads x n x n fp32 matrices (scores,
// probabilities, and their gradients in the backward).
double softmax_estimate_mib(const Settings& s, int64_t n) {
  return 4.0 * s.batch * s.heads * static_cast<double>(n) * n * 4 / kMiB;
}

// Runs in the child: "ms tensor_bytes rss_bytes".
std::string measure(const Settings& s, const std::string& kind, int64_t n) {
  at::set_num_threads(s.threads);
  auto& allocator = CountingCpuAllocator::install();
  torch::manual_seed(0);
  AttentionOptions o;
  o.dim = s.dim;
  o.num_heads = s.heads;
  o.fused = false;  // softmax: the explicit n x n form
  o.sr_ratio = s.sr_ratio;
  o.local_conv = s.local_conv;
  o.landmark_count = s.landmarks;
  auto attention = make_attention(kind, o);
  const auto [gh, gw] = grid_for(n);
  auto x = torch::randn({s.batch, n, s.dim}).requires_grad_(true);
  const auto upstream = torch::randn({s.batch, n, s.dim});
  auto step = [&] {
    attention->forward(x, gh, gw).backward(upstream);
    x.mutable_grad() = torch::Tensor();
    for (auto& p : attention->parameters()) p.mutable_grad() = torch::Tensor();
  };
  // Resident growth of the first (cold) step; later steps would reuse heap the C library kept.
  reset_resident_peak();
  const int64_t rss_before = resident_bytes();
  int64_t tensor_base = allocator.current();
  allocator.reset_peak();
  step();
  const int64_t rss_growth = resident_peak_bytes() - rss_before;
  int64_t tensor_peak = allocator.peak() - tensor_base;
  std::vector<double> ms;
  for (int r = 0; r < s.repeats; ++r) {
    tensor_base = allocator.current();
    allocator.reset_peak();
    const auto start = std::chrono::steady_clock::now();
    step();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    tensor_peak = std::max(tensor_peak, allocator.peak() - tensor_base);
  }
  std::sort(ms.begin(), ms.end());
  return cat(ms[ms.size() / 2], " ", tensor_peak, " ", rss_growth);
}

Result run_forked(const Settings& s, const std::string& kind, int64_t n) {
  std::cout.flush();
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("bench: pipe() failed");
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("bench: fork() failed");
  if (pid == 0) {
    close(fds[0]);
    std::string line;
    try {
      line = "ok " + measure(s, kind, n);
    } catch (const std::exception& e) {
      line = std::string("failed ") + e.what();
    }
    line += "\n";
    [[maybe_unused]] auto written = write(fds[1], line.data(), line.size());
    _exit(0);
  }
  close(fds[1]);
  std::string text;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(s.timeout_s);
  bool timed_out = false;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 1000))) <= 0) continue;
    char buffer[512];
    const auto got = read(fds[0], buffer, sizeof buffer);
    if (got <= 0) break;
    text.append(buffer, static_cast<size_t>(got));
  }
  close(fds[0]);
  if (timed_out) kill(pid, SIGKILL);
  int wstatus = 0;
  waitpid(pid, &wstatus, 0);
  Result r;
  if (timed_out) return r.status = "timeout", r;
  std::istringstream in(text);
  std::string status;
  in >> status;
  double tensor_bytes = 0, rss_bytes = 0;
  if (status != "ok" || !(in >> r.ms >> tensor_bytes >> rss_bytes)) {
    r.status = "failed";
    r.error = WIFSIGNALED(wstatus) ? cat("killed by signal ", WTERMSIG(wstatus)) : text;
    return r;
  }
  r.tensor_mib = tensor_bytes / kMiB;
  r.rss_mib = rss_bytes / kMiB;
  return r;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown CPU";
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  char text[64];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  return text;
}

std::string join_ints(const std::vector<int64_t>& v) {
  std::vector<std::string> parts;
  for (auto x : v) parts.push_back(std::to_string(x));
  return join(parts, ",");
}

void print_table(const Settings& s, const std::map<std::pair<std::string, int64_t>, Result>& results,
                 const std::string& title, double Result::*field, int digits) {
  std::cout << "\n" << title << "\n\n| tokens | grid |";
  for (const auto& k : s.kinds) std::cout << " " << k << " |";
  std::cout << "\n|---:|---|";
  for (size_t i = 0; i < s.kinds.size(); ++i) std::cout << "---:|";
  std::cout << "\n";
  for (auto n : s.tokens) {
    const auto [h, w] = grid_for(n);
    std::cout << "| " << n << " | " << h << "x" << w << " |";
    for (const auto& k : s.kinds) {
      const auto& r = results.at({k, n});
      std::cout << " " << (r.status == "ok" ? fixed(r.*field, digits) : r.status) << " |";
    }
    std::cout << "\n";
  }
  std::cout.flush();
}

void run(const Settings& s) {
  std::cout << "Command: `softvit bench attention --tokens " << join_ints(s.tokens) << " --kinds "
            << join(s.kinds, ",") << " --batch " << s.batch << " --dim " << s.dim << " --heads " << s.heads
            << " --landmarks " << s.landmarks << " --threads " << s.threads << " --repeats " << s.repeats
            << " --max-softmax-mib " << s.max_softmax_mib << "`\n\n"
            << "Machine: " << cpu_model() << ", " << sysconf(_SC_NPROCESSORS_ONLN) << " CPUs visible, "
            << s.threads << " threads, OMP_WAIT_POLICY="
            << (std::getenv("OMP_WAIT_POLICY") ? std::getenv("OMP_WAIT_POLICY") : "(unset)") << "; LibTorch "
            << TORCH_VERSION << "; " << utc_now() << "\n\n"
            << "One forward + backward of the attention module (projections included), batch " << s.batch
            << ", width " << s.dim << ", " << s.heads << " heads of " << s.dim / s.heads
            << ", fp32. soft: " << s.landmarks << " landmarks (conv, sr " << s.sr_ratio << "), local conv "
            << s.local_conv << "x" << s.local_conv << ", 20 Newton iterations. softmax: explicit "
            << "softmax(QK^T/sqrt(d))V, skipped where its estimated peak exceeds " << s.max_softmax_mib
            << " MiB.\n";
  std::map<std::pair<std::string, int64_t>, Result> results;
  for (const auto& kind : s.kinds) {
    bool stop = false;
    for (auto n : s.tokens) {
      Result r;
      if (stop || (kind == "softmax" && softmax_estimate_mib(s, n) > s.max_softmax_mib))
        r.status = "skipped";
      else
        r = run_forked(s, kind, n);
      if (r.status != "ok") stop = true;
      std::cerr << "[bench] " << kind << " n=" << n << ": "
                << (r.status == "ok" ? cat(fixed(r.ms, 1), " ms, ", fixed(r.tensor_mib, 1), " MiB")
                                     : r.status)
                << (r.error.empty() ? "" : ": " + r.error) << "\n";
      results[{kind, n}] = r;
    }
  }
  print_table(s, results, "Time per forward + backward, ms (median of the timed runs):", &Result::ms, 1);
  print_table(s, results,
              "Peak tensor memory of one forward + backward, MiB (counting CPU allocator: bytes allocated "
              "beyond those live before the step):",
              &Result::tensor_mib, 1);
  print_table(s, results,
              "Resident-set growth of the first forward + backward in a fresh process, MiB (VmHWM after "
              "minus VmRSS before, high-water mark reset through /proc/self/clear_refs):",
              &Result::rss_mib, 1);
}

}  // namespace

void add_bench_attention_command(CLI::App& bench) {
  auto s = std::make_shared<Settings>();
  auto* cmd =
      bench.add_subcommand("attention", "time and peak memory of attention forward+backward vs tokens (CPU)");
  cmd->add_option("--tokens", s->tokens, "token counts")->delimiter(',');
  cmd->add_option("--kinds", s->kinds, "attentions: soft, soft_norm, seqnorm, sima, softmax (explicit)")
      ->delimiter(',');
  cmd->add_option("--batch", s->batch, "batch size");
  cmd->add_option("--dim", s->dim, "token width");
  cmd->add_option("--heads", s->heads, "attention heads");
  cmd->add_option("--landmarks", s->landmarks, "soft: fixed landmark count (a square)");
  cmd->add_option("--threads", s->threads, "intra-op threads");
  cmd->add_option("--repeats", s->repeats, "timed runs after one warm-up; the median is reported");
  cmd->add_option("--max-softmax-mib", s->max_softmax_mib, "skip explicit softmax above this estimated peak");
  cmd->add_option("--timeout", s->timeout_s, "seconds one measurement may take");
  cmd->callback([s] { run(*s); });
}

}  // namespace softvit::cli
