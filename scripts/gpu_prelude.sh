# shellcheck shell=bash
# The prelude of the device-call scripts (scripts/gpu_*.sh), sourced as their first line:
#   source "$(dirname "$0")/gpu_prelude.sh"
# It sets the shell options (-u, pipefail: a step that fails does not stop the later ones), moves to
# the repository root, starts the timer, names the binary, and defines the steps below. It runs
# nothing else: each script still says which steps it takes, so that what it does and prints stays
# its own. scripts/gpu_build.sh, the build itself, is run by build_softvit and sources nothing.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

# shellcheck disable=SC2034  # used by the scripts that source this file
B=build-gpu/softvit  # what scripts/gpu_build.sh builds
start=$(date +%s)

# Seconds since the prelude ran; `stamp NAME` prints "== NAME: N s".
elapsed() { echo $(($(date +%s) - start)); }
stamp() { echo "== $1: $(elapsed) s"; }

# output_folder DIR [MORE...]: sets `out` to DIR and creates it, and any more folders named.
output_folder() {
  # shellcheck disable=SC2034  # used by the scripts that source this file
  out=$1
  mkdir -p "$@"
}

# OpenMP's threads sleep instead of spinning while they wait (the timed work is on the GPU).
quiet_openmp() { export OMP_WAIT_POLICY=passive; }

# build_softvit LOG [TARGET [LINES]]: builds for Hopper with scripts/gpu_build.sh (TARGET, e.g.
# softvit: that target alone; otherwise $BUILD_TARGET, or everything), its output in LOG. When the
# build fails: prints the last LINES (default 60) lines of LOG and returns 1.
build_softvit() {
  local log=$1 target=${2:-${BUILD_TARGET:-}} lines=${3:-60}
  BUILD_TARGET=$target bash scripts/gpu_build.sh >"$log" 2>&1 || {
    tail -"$lines" "$log"
    return 1
  }
}

# One line per GPU: name, memory, driver.
gpu_info() { nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader; }

# jpeg_class_folders DIR [COPIES]: DIR/all/*.jpg (bench loader --generate) as a folder dataset of
# 10 classes, DIR/train and DIR/val (one image in 12 held out), as symlinks; each training image
# linked COPIES times (default 4), so that an epoch has many more batches than workers.
jpeg_class_folders() {
  local jpg=$1 copies=${2:-4} i=0 f copy
  for f in "$jpg"/all/*.jpg; do
    if [ $(((i / 10) % 12)) = 0 ]; then
      mkdir -p "$jpg/val/c$((i % 10))"
      ln -sf "$f" "$jpg/val/c$((i % 10))/"
    else
      mkdir -p "$jpg/train/c$((i % 10))"
      for copy in $(seq "$copies"); do ln -sf "$f" "$jpg/train/c$((i % 10))/copy${copy}_$(basename "$f")"; done
    fi
    i=$((i + 1))
  done
}
