#!/usr/bin/env bash
# The device call behind docs/benchmarks.md's GPU-speed tables: build; with DIST=1 (2 GPUs) the
# data-parallel scaling on 1 and 2 GPUs; then on GPU 0: the fused kernels' checks, CUDA Graphs and
# channels-last against eager, the GPU tests, timm, the 1344 px point; with BREAST=1 (2 GPUs), GPU 1
# meanwhile trains BreastMNIST with SOFT from three seeds (each evaluated on test).
# Usage on the GPU machine: [DIST=1] [BREAST=1] bash scripts/gpu_final.sh OUTDIR
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-/tmp/gpu_out}
mkdir -p "$out" runs
export OMP_WAIT_POLICY=passive
start=$(date +%s)
stamp() { echo "== $1: $(( $(date +%s) - start )) s"; }
bash scripts/gpu_build.sh > "$out/build.log" 2>&1 || { tail -60 "$out/build.log"; exit 1; }
stamp build
B=build-gpu/softvit
[ "${DIST:-0}" = 1 ] && { stamp "data-parallel scaling"; TEST_TIMEOUT=30 timeout 170 bash scripts/gpu_dist.sh /tmp/dist_out; echo "gpu_dist exit $?"; } \
  > "$out/dist.txt" 2>&1
med=.gpu/data/medmnist
[ "${BREAST:-0}" = 1 ] && for seed in 0 1 2; do
  CUDA_VISIBLE_DEVICES=1 timeout -s INT 230 $B train --config configs/breastmnist_soft.yaml \
    --set data.root=$med/breastmnist.npz --set run.device=cuda --set data.workers=3 --set run.threads=2 \
    --set run.seed=$seed --output runs/breast_soft_seed$seed > runs/breast_soft_seed$seed.log 2>&1 &
done
export CUDA_VISIBLE_DEVICES=0
{
  date -u; nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | head -1
  stamp "kernel checks"
  timeout 60 $B check kernels --json "$out/check_kernels.json" | tail -45
  stamp "graphs and channels-last (each: an eager row, then a graph row)"
  g="--precision bf16 --device cuda --cuda-graph --steps 30"
  for mb in "deit_tiny 32" "deit_tiny 256" "soft_tiny 32" "soft_tiny 128"; do
    set -- $mb
    timeout 40 $B bench train --model $1 --batch $2 $g | tail -2
  done
  timeout 40 $B bench train --model soft_tiny --batch 128 $g --channels-last | tail -2
  echo "reference (unfused) kernels:"
  SOFTVIT_FUSED_KERNELS=0 timeout 40 $B bench train --model soft_tiny --batch 128 --precision bf16 --device cuda \
    --steps 30 | tail -1
  timeout 60 build-gpu/tests/softvit_tests "[cuda]" > "$out/cuda_tests.log" 2>&1
  echo "[cuda] tests exit $?: $(tail -2 "$out/cuda_tests.log" | tr '\n' ' ')"
  grep -E "FAILED|with expansion" -A3 "$out/cuda_tests.log" | head -30
  stamp "timm and the 1344 px point"
  timeout 50 python3 scripts/bench_timm.py --batch 128 256 2>/dev/null
  timeout 40 $B bench train --model soft_tiny --set model.landmark_count=49 --batch 8 --precision bf16 \
    --device cuda --sweep-res 224,1344 --steps 20
  stamp "profile of SOFT-Tiny with the fused kernels"
  timeout 40 $B bench train --model soft_tiny --batch 128 --precision bf16 --device cuda --steps 20 \
    --profile /tmp/soft_fused.json | head -26
} > "$out/bench.txt" 2>&1
stamp "benches done" >> "$out/bench.txt"
wait  # the BreastMNIST seeds on GPU 1
[ "${BREAST:-0}" = 1 ] && {
  stamp "breast seeds done"
  for seed in 0 1 2; do
    grep -E "finished|stopping" runs/breast_soft_seed$seed.log | tail -1 | cut -c1-170
    timeout 30 $B eval --checkpoint runs/breast_soft_seed$seed/checkpoints/best.pt --set run.device=cuda \
      --set eval.bootstrap=1000 --output runs/breast_soft_seed$seed/test.json > /dev/null 2>&1
    python3 -c "import json; m=json.load(open('runs/breast_soft_seed$seed/test.json')); print('seed $seed test', m['weights'], 'top1', round(m['top1'],4), 'auroc', round(m['auroc_macro'],4), 'ci95', m['ci95'].get('auroc_macro'), m['ci95'].get('top1'))"
  done
} > "$out/breast.txt" 2>&1
tar czf "$out/runs.tar.gz" runs/breast_soft_seed*/{test.json,summary.csv,train.log,config.yaml} /tmp/dist_out \
  2>/dev/null
stamp total | tee -a "$out/bench.txt"
