#!/usr/bin/env bash
# The device call behind docs/benchmarks.md's GPU-speed tables: build; with DIST=1 (2 GPUs) the
# data-parallel scaling on 1 and 2 GPUs; then on GPU 0: the fused kernels' checks, compute-sanitizer,
# the GPU tests, then timings: DeiT-Tiny against timm, SOFT-Tiny (CUDA Graphs, channels-last, the
# fused LayerNorm against ATen's, the fused depthwise conv against cuDNN's), the 1344 px point, a profile. With BREAST=1, BreastMNIST with SOFT from three
# seeds (each evaluated on test) on GPU 1, or on GPU 0 before the timings.
# Usage on the GPU machine: [DIST=1] [BREAST=1] [SEEDS="3 4 5"] bash scripts/gpu_final.sh OUTDIR
# shellcheck source=scripts/gpu_prelude.sh
source "$(dirname "$0")/gpu_prelude.sh"
output_folder "${1:-/tmp/gpu_out}" runs
quiet_openmp
build_softvit "$out/build.log" || exit 1
stamp build
[ "${DIST:-0}" = 1 ] && { stamp "data-parallel scaling"; TEST_TIMEOUT=30 timeout 170 bash scripts/gpu_dist.sh /tmp/dist_out; echo "gpu_dist exit $?"; } \
  > "$out/dist.txt" 2>&1
# BreastMNIST seeds (BREAST=1; SEEDS, default 3 4 5): on GPU 1 when there are two, else on GPU 0
# while the checks run (they time nothing that is reported); the timings wait for them.
breast_gpu=$([ "$(nvidia-smi -L | wc -l)" -ge 2 ] && echo 1 || echo 0)
[ "${BREAST:-0}" = 1 ] && BREAST_GPU=$breast_gpu bash scripts/gpu_breast_seeds.sh > "$out/breast.txt" 2>&1 &
export CUDA_VISIBLE_DEVICES=0
{
  date -u; gpu_info | head -1
  stamp "kernel checks"
  timeout 120 $B check kernels --json "$out/check_kernels.json" > "$out/check_kernels.txt" 2>&1
  # The timed rows (their speed-up column ends in x), failures and the count.
  echo "check kernels exit $?"; grep -E "x ok$|FAIL|checks" "$out/check_kernels.txt" | tail -90
  # A kernel that fails its checks is switched off for the timings (ATen / cuDNN instead).
  grep -E "^dwconv" "$out/check_kernels.txt" | grep -qvE " ok$" && export SOFTVIT_FUSED_DEPTHWISE=0 &&
    echo "depthwise kernel FAILED its checks: timings below use cuDNN"
  grep -E "^layernorm" "$out/check_kernels.txt" | grep -qvE " ok$" && export SOFTVIT_FUSED_LAYER_NORM=0 &&
    echo "layer norm kernel FAILED its checks: timings below use ATen's"
  timeout 150 compute-sanitizer --tool memcheck --error-exitcode 3 $B check kernels --quick > "$out/memcheck.txt" 2>&1
  echo "compute-sanitizer memcheck exit $?: $(grep -E "ERROR SUMMARY|checks" "$out/memcheck.txt" | tr '\n' ' ')"
  timeout 90 build-gpu/tests/softvit_tests "[cuda],[gpu]" > "$out/cuda_tests.log" 2>&1
  echo "[cuda],[gpu] tests exit $?: $(tail -2 "$out/cuda_tests.log" | tr '\n' ' ')"
  grep -E "FAILED|with expansion" -A3 "$out/cuda_tests.log" | head -30
  [ "$breast_gpu" = 0 ] && { stamp "waiting for the BreastMNIST runs"; wait; }
  stamp "timings (each: an eager row, then a graph row), softvit then timm"
  g="--precision bf16 --device cuda --cuda-graph --steps 30"
  timeout 40 $B bench train --model deit_tiny --batch 256 $g | tail -2
  timeout 60 python3 scripts/bench_timm.py --batch 256 2>/dev/null
  timeout 40 $B bench train --model soft_tiny --batch 128 $g --channels-last | tail -2
  echo "ATen's LayerNorm instead of the fused one, channels-last:"
  SOFTVIT_FUSED_LAYER_NORM=0 timeout 40 $B bench train --model soft_tiny --batch 128 $g --channels-last | tail -2
  echo "DeiT-Tiny with ATen's LayerNorm:"
  SOFTVIT_FUSED_LAYER_NORM=0 timeout 40 $B bench train --model deit_tiny --batch 256 $g | tail -2
  echo "cuDNN's depthwise conv instead of the fused one, channels-last:"
  SOFTVIT_FUSED_DEPTHWISE=0 timeout 40 $B bench train --model soft_tiny --batch 128 $g --channels-last | tail -2
  timeout 40 $B bench train --model soft_tiny --set model.landmark_count=49 --batch 8 --precision bf16 \
    --device cuda --channels-last --sweep-res 224,1344 --steps 20
  stamp "profile of SOFT-Tiny, channels-last"
  timeout 40 $B bench train --model soft_tiny --batch 128 --precision bf16 --device cuda --steps 10 \
    --channels-last --profile /tmp/soft_cl.json | head -34
} > "$out/bench.txt" 2>&1
stamp "benches done" >> "$out/bench.txt"
# Racecheck of the small kernel cases (the depthwise kernels share tiles through shared memory).
timeout "${RACECHECK_S:-90}" compute-sanitizer --tool racecheck --error-exitcode 3 $B check kernels --quick \
  > "$out/racecheck.txt" 2>&1
echo "compute-sanitizer racecheck exit $?: $(grep -E "RACECHECK SUMMARY|ERROR SUMMARY|checks" "$out/racecheck.txt" | tr '\n' ' ')" \
  >> "$out/bench.txt"
wait  # the BreastMNIST runs
stamp total | tee -a "$out/bench.txt"
# Few files come back from a device call: everything in one archive, the two summaries beside it.
tar czf /tmp/all.tar.gz runs/breast_soft_seed* /tmp/dist_out "$out" 2>/dev/null
find "$out" -type f ! -name bench.txt ! -name breast.txt -delete
mv /tmp/all.tar.gz "$out/all.tar.gz"
