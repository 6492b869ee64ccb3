// Helpers shared by the tests: a temporary folder that removes itself, the softvit binary.
#pragma once
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>

struct TempDir {
  std::filesystem::path root;
  TempDir() {
    std::random_device rd;
    root = std::filesystem::temp_directory_path() /
           ("softvit-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(root);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(root, ignored);
  }
  std::string path(const std::string& name) const { return (root / name).string(); }
  std::string write(const std::string& name, const std::string& text) const {
    const auto p = root / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
};

// What a command printed (stdout and stderr) and how it exited.
struct SoftvitRun {
  int status;  // exit status; -1 when killed by a signal
  std::string text;
};
// Runs a shell command line and collects stdout and stderr.
inline SoftvitRun run_shell(const std::string& command) {
  FILE* pipe = popen(("(" + command + ") 2>&1").c_str(), "r");
  if (!pipe) throw std::runtime_error("cannot run " + command);
  std::string text;
  char buffer[4096];
  while (size_t n = fread(buffer, 1, sizeof buffer, pipe)) text.append(buffer, n);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text};
}
// Runs the softvit binary with `args` (a shell command line).
inline SoftvitRun run_softvit(const std::string& args) {
  return run_shell(std::string(SOFTVIT_BINARY) + " " + args);
}
