#!/usr/bin/env bash
# BreastMNIST recipe sweep on one GPU: every recipe below from three seeds, all runs side by side
# (each is launch-bound at 28 px; CUDA graphs cut the launches). Each best.pt (chosen on the
# validation split by the recipe's metric) is evaluated on val and test. Recipes are compared on
# the validation figures; the test figures are reported, not used to choose.
# Usage on the GPU machine, after scripts/gpu_build.sh: bash scripts/gpu_breast_sweep.sh OUTDIR [SECONDS]
# shellcheck source=scripts/gpu_prelude.sh
source "$(dirname "$0")/gpu_prelude.sh"
output_folder "${1:-/tmp/breast_sweep}"
cap=${2:-420}
npz=.gpu/data/medmnist/breastmnist.npz
runs=/dev/shm/breast  # checkpoints rewritten every epoch: memory, not disk
rm -rf "$runs"
mkdir -p "$runs"
common="--set data.root=$npz --set run.device=cuda --set data.workers=2 --set run.threads=1 --set train.cuda_graph=true"
declare -A recipe=(
  [base]=""
  [auroc]="--set checkpoint.best_metric=ema_val_auroc"
  [ra200]="--set checkpoint.best_metric=ema_val_auroc --set train.epochs=200 --set data.train_transforms=[\"pad_crop(padding=2)\",\"hflip(p=0.5)\",\"rotate(degrees=10)\",\"rand_augment(rand-m9-mstd0.5-inc1)\"]"
  [mix200]="--set checkpoint.best_metric=ema_val_auroc --set train.epochs=200 --set data.mixup=0.8 --set data.cutmix=1.0"
  [dp_cw]="--set checkpoint.best_metric=ema_val_auroc --set model.drop_path=0.1 --set train.class_weighting=inverse_frequency"
  [lr5]="--set checkpoint.best_metric=ema_val_auroc --set optim.lr=0.0005 --set train.epochs=200"
  [bal]="--set checkpoint.best_metric=ema_val_auroc --set data.sampler=balanced"
  [ra_dp]="--set checkpoint.best_metric=ema_val_auroc --set train.epochs=200 --set model.drop_path=0.1 --set data.train_transforms=[\"pad_crop(padding=2)\",\"hflip(p=0.5)\",\"rotate(degrees=10)\",\"rand_augment(rand-m9-mstd0.5-inc1)\"]"
)
# One run: train (stopped by SIGINT at the cap: it saves and exits), then evaluate best.pt.
run_one() {
  local name=$1 seed=$2 r="$runs/$1_s$2"
  # shellcheck disable=SC2086
  timeout -s INT "$cap" $B train --config configs/breastmnist_soft.yaml $common ${recipe[$name]} \
    --set run.seed=$seed --output "$r" > "$out/${name}_s$seed.log" 2>&1
  for split in val test; do
    timeout 60 $B eval --checkpoint "$r/checkpoints/best.pt" --set run.device=cuda --split $split \
      --output "$out/${name}_s${seed}_$split.json" > /dev/null 2>&1
  done
}
for name in "${!recipe[@]}"; do
  for seed in 0 1 2; do run_one "$name" "$seed" & done
done
wait
for name in "${!recipe[@]}"; do
  for seed in 0 1 2; do
    python3 - "$out" "$name" "$seed" <<'EOF'
import json, sys
out, name, seed = sys.argv[1:]
row = [name, seed]
for split in ("val", "test"):
    try:
        m = json.load(open(f"{out}/{name}_s{seed}_{split}.json"))
        row += [f"{m['top1']:.4f}", f"{m['auroc_macro']:.4f}"]
    except Exception as e:  # a run that never wrote best.pt
        row += ["-", "-"]
try:
    best = [l for l in open(f"{out}/{name}_s{seed}.log") if "best" in l][-1].strip()[-90:]
except IndexError:
    best = "no summary"
print(" ".join(row), "|", best)
EOF
  done
done | sort | tee "$out/table.txt"
