#!/usr/bin/env bash
# Installs what is missing (scripts/setup.sh), then configures and builds softvit in
# ${BUILD_DIR:-build}: everything, or only ${BUILD_TARGET} (e.g. softvit: the binary without the
# tests). Extra arguments go to CMake's configure step.
set -euo pipefail
cd "$(dirname "$0")/.."
TORCH_PREFIX=$(bash scripts/setup.sh)
BUILD_DIR=${BUILD_DIR:-build}
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
echo "[build] configuring $BUILD_DIR" >&2
cmake -S . -B "$BUILD_DIR" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$TORCH_PREFIX" -DTORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST:-9.0}" "$@" >/dev/null
echo "[build] compiling ${BUILD_TARGET:-everything} in $BUILD_DIR with $(nproc) jobs" >&2
cmake --build "$BUILD_DIR" -j"$(nproc)" ${BUILD_TARGET:+--target "$BUILD_TARGET"}
