#!/usr/bin/env bash
# The loader on the GPU host, in one call: softvit's train pipeline against PyTorch's DataLoader
# (Pillow, torchvision) on the same generated JPEGs, then a DeiT-Tiny training run on 224 px JPEGs
# whose log gives the share of step time spent waiting for the loader (docs/benchmarks.md).
# Usage on the GPU machine, with .gpu carried: [COPIES=4] bash scripts/gpu_loader.sh OUTDIR [TRAIN_SECONDS]
# shellcheck source=scripts/gpu_prelude.sh
source "$(dirname "$0")/gpu_prelude.sh"
output_folder "${1:-/tmp/gpu_loader}"
jpg=/tmp/jpegs
build_softvit "$out/build.log" softvit || exit 1
stamp build | tee "$out/build.log"
{
  date -u; nproc
  stamp "loader: softvit, then the DataLoader"
  timeout 200 $B bench loader "$jpg/all" --generate 3000 --images 12000 --workers 16 --batch 128 --device cuda | tail -7
  timeout 60 python3 scripts/bench_torch_loader.py "$jpg/all" --workers 16 --batch 128 --images 12000 --device cuda
} > "$out/loader.txt" 2>&1

jpeg_class_folders "$jpg" "${COPIES:-4}"
{
  stamp "DeiT-Tiny on 224 px JPEGs (the bench loader's train pipeline)"
  timeout -s INT "${2:-100}" $B train --config configs/soft_tiny_imagenet.yaml --set model.name=deit_tiny \
    --set data.root=$jpg --set run.device=cuda --set train.batch_size=256 --set train.epochs=12 \
    --set 'data.train_transforms=["random_resized_crop(size=224)", "hflip(p=0.5)"]' \
    --set data.mixup=0 --set data.cutmix=0 --set run.log_every=10 --set train.ema_decay=0 \
    --set checkpoint.best_metric=val_top1 --set schedule.warmup_epochs=1 --output /tmp/deit_jpeg 2>&1 |
    grep -E "epoch|finished|error" | cut -c1-200 | tail -60
  stamp done
} > "$out/deit_jpeg.txt" 2>&1
