#!/usr/bin/env bash
# The loader on the GPU host, in one call: softvit's train pipeline against PyTorch's DataLoader
# (Pillow, torchvision) on the same generated JPEGs, then a DeiT-Tiny training run on 224 px JPEGs
# whose log gives the share of step time spent waiting for the loader (docs/benchmarks.md).
# Usage on the GPU machine, with .gpu carried: bash scripts/gpu_loader.sh OUTDIR [TRAIN_SECONDS]
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-/tmp/gpu_loader}
mkdir -p "$out"
B=build-gpu/softvit
jpg=/tmp/jpegs
start=$(date +%s)
stamp() { echo "== $1: $(( $(date +%s) - start )) s"; }
BUILD_TARGET=softvit bash scripts/gpu_build.sh > "$out/build.log" 2>&1 || { tail -60 "$out/build.log"; exit 1; }
stamp build | tee "$out/build.log"
{
  date -u; nproc
  stamp "loader: softvit, then the DataLoader"
  timeout 100 $B bench loader "$jpg/all" --generate 3000 --images 3000 --workers 16 | tail -7
  timeout 60 python3 scripts/bench_torch_loader.py "$jpg/all" --workers 16 --batch 128 --images 12000
} > "$out/loader.txt" 2>&1

# 10 classes of the generated images, one in 12 held out for validation (symlinks).
i=0
for f in "$jpg"/all/*.jpg; do
  split=train; [ $(( (i / 10) % 12 )) = 0 ] && split=val
  mkdir -p "$jpg/$split/c$((i % 10))"
  ln -sf "$f" "$jpg/$split/c$((i % 10))/"
  i=$((i + 1))
done
{
  stamp "DeiT-Tiny on 224 px JPEGs (the bench loader's train pipeline)"
  timeout -s INT "${2:-100}" $B train --config configs/soft_tiny_imagenet.yaml --set model.name=deit_tiny \
    --set data.root=$jpg --set run.device=cuda --set train.batch_size=256 --set train.epochs=12 \
    --set 'data.train_transforms=["random_resized_crop(size=224)", "hflip(p=0.5)"]' \
    --set data.mixup=0 --set data.cutmix=0 --set run.log_every=5 --set train.ema_decay=0 \
    --set checkpoint.best_metric=val_top1 --set schedule.warmup_epochs=1 --output /tmp/deit_jpeg 2>&1 |
    grep -E "epoch|finished|error" | cut -c1-200 | tail -30
  stamp done
} > "$out/deit_jpeg.txt" 2>&1
