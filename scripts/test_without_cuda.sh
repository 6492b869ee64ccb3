#!/usr/bin/env bash
# The test command as on a machine without a CUDA toolkit (most CPU workstations): hides every
# /usr/local/cuda* folder behind an empty tmpfs in a private mount namespace (needs root, or a user
# namespace), checks that nvcc no longer runs, then runs scripts/test.sh with its own build folder
# (build-cpu) and torch environment (SOFTVIT_VENV, default ~/.cache/softvit/venv-cpu), which
# scripts/setup.sh fills with the CPU-only install. Arguments go to ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
export BUILD_DIR=${BUILD_DIR:-build-cpu}
export SOFTVIT_VENV=${SOFTVIT_VENV:-$HOME/.cache/softvit/venv-cpu}
# shellcheck disable=SC2016  # expanded by the inner shell
exec unshare --mount --propagation private bash -c '
  set -euo pipefail
  for dir in /usr/local/cuda*; do
    [ -d "$dir" ] && [ ! -L "$dir" ] && mount -t tmpfs -o size=1m,mode=755 tmpfs "$dir"
  done
  if command -v nvcc >/dev/null 2>&1 && nvcc --version >/dev/null 2>&1; then
    echo "[test_without_cuda] nvcc still runs ($(command -v nvcc)): the toolkit is not hidden" >&2
    exit 1
  fi
  echo "[test_without_cuda] CUDA toolkit hidden; building in $BUILD_DIR against $SOFTVIT_VENV" >&2
  exec bash scripts/test.sh "$@"' bash "$@"
