#!/usr/bin/env bash
# One device call that gathers what the next optimisations need: kernel profiles with Chrome traces
# (operators' input shapes and dtypes) of SOFT-Tiny (batch 128, channels-last) and DeiT-Tiny (batch
# 256) in softvit and of timm's DeiT-Tiny, compressed.
# Usage on the GPU machine, with .gpu carried: bash scripts/gpu_diagnose.sh OUTDIR
# shellcheck source=scripts/gpu_prelude.sh
source "$(dirname "$0")/gpu_prelude.sh"
output_folder "${1:-/tmp/gpu_diagnose}"
quiet_openmp
build_softvit "$out/build.log" || exit 1
stamp build
g="--precision bf16 --device cuda --steps 8"
{
  date -u; gpu_info | head -1
  stamp "profiles"
  timeout 60 $B bench train --model soft_tiny --batch 128 $g --channels-last --profile "$out/soft_cl.json" | head -45
  timeout 60 $B bench train --model deit_tiny --batch 256 $g --profile "$out/deit.json" | head -30
  timeout 90 python3 scripts/bench_timm.py --batch 256 --steps 20 --profile 4 --trace "$out/timm.json" 2>&1 | tail -40
} > "$out/profiles.txt" 2>&1
stamp "profiles done" | tee -a "$out/profiles.txt"

gzip -f "$out"/*.json  # traces are large; what comes back from the device is limited
