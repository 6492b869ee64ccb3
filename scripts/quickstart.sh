#!/usr/bin/env bash
# The main job: sets up what is missing, builds the softvit binary, and trains configs/quickstart.yaml
# (Fashion-MNIST from Debian) on this machine into runs/quickstart, replacing the run a previous
# quickstart left there (--overwrite). Extra arguments go to `softvit train`.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_TARGET=softvit bash scripts/build.sh
BUILD_DIR=${BUILD_DIR:-build}
"$BUILD_DIR/softvit" train --config configs/quickstart.yaml --overwrite "$@"
