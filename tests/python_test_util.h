// Finding a python with torch (and timm, safetensors) for the tests that check softvit's files
// against PyTorch's own readers. A test without one WARNs "softvit test skipped:" and returns, and
// CTest counts it as skipped (tests/CMakeLists.txt).
#pragma once
#include <cstdlib>
#include <string>
#include <vector>

#include "catch.h"

namespace softvit::testing {

inline std::string quoted(const std::string& text) { return "'" + text + "'"; }

// Where to look for a python with torch, timm and safetensors: $SOFTVIT_PYTHON if set (only that),
// else the one next to the torch softvit links, the setup venv's, the system's.
inline std::vector<std::string> python_candidates() {
  if (const char* chosen = std::getenv("SOFTVIT_PYTHON")) return {chosen};
  std::vector<std::string> candidates = {SOFTVIT_TORCH_PYTHON};
  if (const char* venv = std::getenv("SOFTVIT_VENV"))
    candidates.push_back(std::string(venv) + "/bin/python");
  else if (const char* home = std::getenv("HOME"))
    candidates.push_back(std::string(home) + "/.cache/softvit/venv/bin/python");
  candidates.push_back("python3");
  return candidates;
}

// The first candidate that has torch, timm and safetensors, or "".
inline std::string find_python() {
  for (const auto& python : python_candidates()) {
    if (python.empty()) continue;
    const std::string probe =
        quoted(python) +
        " -c \"import importlib.util as u, sys; "
        "sys.exit(0 if all(u.find_spec(m) for m in ('torch', 'timm', 'safetensors')) else 1)\""
        " >/dev/null 2>&1";
    if (std::system(probe.c_str()) == 0) return python;
  }
  return "";
}

// The first candidate in which `import torch` works (a CPU-only install of the wheel, as
// scripts/setup.sh makes without a CUDA toolkit, has torch's files but cannot import it), or "".
inline std::string python_with_torch() {
  for (const auto& python : python_candidates()) {
    if (python.empty()) continue;
    if (std::system((quoted(python) + " -c 'import torch' >/dev/null 2>&1").c_str()) == 0) return python;
  }
  return "";
}

inline const std::string& python() {
  static const std::string found = find_python();
  return found;
}

// Warns when no python has timm; the test then returns early and counts as skipped.
inline bool timm_available() {
  if (!python().empty()) return true;
  WARN(
      "softvit test skipped: no python with torch, timm and safetensors (run scripts/setup.sh or set "
      "SOFTVIT_PYTHON)");
  return false;
}

}  // namespace softvit::testing
