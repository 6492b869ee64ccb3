#!/usr/bin/env bash
# One device call: what CUDA graphs (and channels-last) gain for a training step, and a check that
# the graphed step trains like the eager one. Builds for Hopper, then for deit_tiny and soft_tiny
# at batch 32 and 256 (bf16, 224 px) times the eager step and the graph replay in the same process
# (softvit bench train --cuda-graph: two rows each), once more with --channels-last, then runs the
# GPU tests (softvit_tests "[cuda]": graphed vs eager losses and weights over 7 steps).
# Usage on the GPU machine, from the repo root with .gpu carried: bash scripts/gpu_graphs.sh OUTDIR
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-/tmp/gpu_out}
mkdir -p "$out"
export OMP_WAIT_POLICY=passive
start=$(date +%s)
bash scripts/gpu_build.sh > "$out/build.log" 2>&1 || { tail -60 "$out/build.log"; exit 1; }
echo "build: $(( $(date +%s) - start )) s"
B=build-gpu/softvit
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader > "$out/gpu.txt"
{
  date -u
  cat "$out/gpu.txt"
  for m in deit_tiny soft_tiny; do
    for b in 32 256; do
      $B bench train --model $m --batch $b --precision bf16 --device cuda --cuda-graph --steps 50 \
        --json "$out/graph_${m}_${b}.json" | tail -2
      $B bench train --model $m --batch $b --precision bf16 --device cuda --cuda-graph --steps 50 \
        --channels-last --json "$out/graph_${m}_${b}_cl.json" | tail -2
    done
  done
} 2>&1 | tee "$out/bench.txt"
echo "bench done: $(( $(date +%s) - start )) s"
timeout "${TEST_TIMEOUT:-240}" build-gpu/tests/softvit_tests "[cuda]" > "$out/cuda_tests.log" 2>&1
echo "[cuda] tests exit $?: $(tail -3 "$out/cuda_tests.log" | tr '\n' ' ')"
grep -E "FAILED|with expansion|REQUIRE|CHECK|step [0-9]" "$out/cuda_tests.log" | head -40
echo "total: $(( $(date +%s) - start )) s"
