#!/usr/bin/env bash
# One device call: build for Hopper, benchmark softvit and timm in the same run, run the tests.
# Usage (on the GPU machine, from the repo root, with .gpu carried): bash scripts/gpu_check.sh OUTDIR
# shellcheck source=scripts/gpu_prelude.sh
source "$(dirname "$0")/gpu_prelude.sh"
output_folder "${1:-/tmp/gpu_out}"
quiet_openmp
build_softvit "$out/build.log" || exit 1
echo "build: $(elapsed) s"
gpu_info > "$out/gpu.txt"
{
  date -u
  cat "$out/gpu.txt"
  for m in soft_tiny soft_small_release deit_tiny sfvit_tiny; do  # soft_small_release: the reference release's SOFT-Small
    $B bench train --model $m --batch 128 --precision bf16 --device cuda --json "$out/train_${m}_128.json" | tail -1
  done
  $B bench train --model deit_tiny --batch 256 --precision bf16 --device cuda | tail -1
  python3 scripts/bench_timm.py --batch 128 256
  $B bench infer --model soft_tiny --batch 256 --precision bf16 --device cuda | tail -1
  $B bench infer --model deit_tiny --batch 256 --precision bf16 --device cuda | tail -1
  echo "resolution sweep, batch 8"
  $B bench train --model soft_tiny --set model.landmark_count=49 --batch 8 --precision bf16 --device cuda \
     --sweep-res 224,448,896,1344 --steps 20 --json "$out/sweep_soft_tiny.json"
  $B bench train --model deit_tiny --batch 8 --precision bf16 --device cuda --sweep-res 224,448,896,1344 --steps 20
  $B bench train --model sfvit_tiny --batch 8 --precision bf16 --device cuda \
     --sweep-res 224,448,896,1344,2048 --steps 20 --json "$out/sweep_sfvit_tiny.json"
} 2>&1 | tee "$out/bench.txt"
echo "bench done: $(elapsed) s"
# Tests: the Debian Fashion-MNIST path and ../shared/data the tests expect, from .gpu/data.
mkdir -p /usr/share/datasets ../shared/data
[ -e /usr/share/datasets/fashion-mnist ] || ln -s "$PWD/.gpu/data/fashion-mnist" /usr/share/datasets/fashion-mnist
[ -e ../shared/data/medmnist ] || ln -s "$PWD/.gpu/data/medmnist" ../shared/data/medmnist
timeout "${TEST_TIMEOUT:-200}" ctest --test-dir build-gpu -j16 --timeout 120 > "$out/ctest.log" 2>&1
echo "ctest exit $?: $(tail -4 "$out/ctest.log" | head -2)"
grep -E "\*\*\*Failed|Timeout" "$out/ctest.log" | head -20
echo "total: $(elapsed) s"
