#!/usr/bin/env bash
# Time to first result on a clean state, as a new user without a CUDA toolkit meets it: a fresh
# clone of this repository's HEAD, a fresh venv, an empty ccache and no pip cache, every
# /usr/local/cuda* hidden (a private mount namespace: needs root), then scripts/quickstart.sh. Each
# line it prints is prefixed with the seconds since the start. Debian packages are not removed
# first: their install is timed apart (apt-get install of scripts/setup.sh's list).
# Usage: bash scripts/measure_first_result.sh [WORKDIR, default /tmp/softvit-first-result]
set -uo pipefail
work=${1:-/tmp/softvit-first-result}
rm -rf "$work" && mkdir -p "$work"
git clone -q "$(cd "$(dirname "$0")/.." && pwd)" "$work/softvit"
cd "$work/softvit"
export SOFTVIT_VENV=$work/venv CCACHE_DIR=$work/ccache PIP_NO_CACHE_DIR=1
start=$(date +%s)
unshare --mount --propagation private bash -c '
  for dir in /usr/local/cuda*; do [ -d "$dir" ] && [ ! -L "$dir" ] && mount -t tmpfs -o size=1m tmpfs "$dir"; done
  nvcc --version >/dev/null 2>&1 && { echo "the CUDA toolkit is still visible"; exit 1; }
  bash scripts/quickstart.sh' 2>&1 | while IFS= read -r line; do echo "$(($(date +%s) - start))s $line"; done
echo "total: $(($(date +%s) - start)) s"
