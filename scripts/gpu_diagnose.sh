#!/usr/bin/env bash
# One device call that gathers what the next optimisations need: kernel profiles with Chrome traces
# (operators' input shapes and dtypes) of SOFT-Tiny (batch 128, channels-last) and DeiT-Tiny (batch
# 256) in softvit and of timm's DeiT-Tiny; a DeiT-Tiny training run on 224 px JPEGs with the data
# wait it reports; compute-sanitizer (memcheck, racecheck) on the fused kernels' checks.
# Usage on the GPU machine, with .gpu carried: bash scripts/gpu_diagnose.sh OUTDIR
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-/tmp/gpu_diagnose}
mkdir -p "$out"
export OMP_WAIT_POLICY=passive
start=$(date +%s)
stamp() { echo "== $1: $(( $(date +%s) - start )) s"; }
bash scripts/gpu_build.sh > "$out/build.log" 2>&1 || { tail -60 "$out/build.log"; exit 1; }
stamp build
B=build-gpu/softvit
g="--precision bf16 --device cuda --steps 8"
{
  date -u; nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | head -1
  stamp "profiles"
  timeout 60 $B bench train --model soft_tiny --batch 128 $g --channels-last --profile "$out/soft_cl.json" | head -45
  timeout 60 $B bench train --model deit_tiny --batch 256 $g --profile "$out/deit.json" | head -30
  timeout 90 python3 scripts/bench_timm.py --batch 256 --steps 20 --profile 4 --trace "$out/timm.json" 2>&1 | tail -40
} > "$out/profiles.txt" 2>&1
stamp "profiles done" | tee -a "$out/profiles.txt"

# DeiT-Tiny on 224 px JPEGs: 10 classes of ImageNet-like images, the bench loader's train pipeline.
{
  jpg=/tmp/jpegs
  timeout 120 $B bench loader "$jpg/all" --generate 6000 --images 3000 2>&1 | tail -8
  for split in train val; do
    for c in 0 1 2 3 4 5 6 7 8 9; do mkdir -p "$jpg/$split/c$c"; done
  done
  i=0
  for f in "$jpg"/all/*.jpg; do
    split=train; [ $((i % 12)) = 0 ] && split=val
    ln -sf "$f" "$jpg/$split/c$((i % 10))/$(basename "$f")"
    i=$((i + 1))
  done
  stamp "deit-tiny training on JPEGs"
  timeout -s INT 150 $B train --config configs/soft_tiny_imagenet.yaml --set model.name=deit_tiny \
    --set data.root=$jpg --set run.device=cuda --set train.batch_size=256 --set train.epochs=6 \
    --set 'data.train_transforms=["random_resized_crop(size=224)", "hflip(p=0.5)"]' \
    --set data.mixup=0 --set data.cutmix=0 --set run.log_every=5 --set train.ema_decay=0 \
    --set checkpoint.best_metric=val_top1 --set schedule.warmup_epochs=1 --output /tmp/deit_jpeg 2>&1 |
    grep -E "epoch|data wait|summary|finished|error" | cut -c1-220 | tail -40
} > "$out/deit_jpeg.txt" 2>&1
stamp "deit-jpeg done" | tee -a "$out/deit_jpeg.txt"

# compute-sanitizer on the kernels' checks (a small case set keeps it within minutes).
{
  cs=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
  for tool in memcheck racecheck; do
    timeout 150 "$cs" --tool $tool --error-exitcode 9 $B check kernels --quick 2>&1 | tail -6
    echo "$tool exit ${PIPESTATUS[0]}"
  done
} > "$out/sanitizer.txt" 2>&1
stamp total | tee -a "$out/sanitizer.txt"
