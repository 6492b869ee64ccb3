#!/usr/bin/env bash
# Installs what is missing (scripts/setup.sh), then configures and builds softvit in
# ${BUILD_DIR:-build}. Extra arguments go to CMake's configure step.
set -euo pipefail
cd "$(dirname "$0")/.."
TORCH_PREFIX=$(bash scripts/setup.sh)
BUILD_DIR=${BUILD_DIR:-build}
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
cmake -S . -B "$BUILD_DIR" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$TORCH_PREFIX" -DTORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST:-9.0}" "$@" >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)"
