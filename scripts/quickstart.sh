#!/usr/bin/env bash
# The main job: sets up what is missing, builds the softvit binary, trains configs/quickstart.yaml
# (Fashion-MNIST from Debian) on this machine into runs/quickstart, replacing the run a previous
# quickstart left there (--overwrite), and evaluates its best.pt on the test split, which training
# never saw (runs/quickstart/eval_test/). Extra arguments go to `softvit train`.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_TARGET=softvit bash scripts/build.sh
BUILD_DIR=${BUILD_DIR:-build}
out=runs/quickstart
"$BUILD_DIR/softvit" train --config configs/quickstart.yaml --output "$out" --overwrite "$@"
"$BUILD_DIR/softvit" eval --checkpoint "$out/checkpoints/best.pt" --output-dir "$out/eval_test"
