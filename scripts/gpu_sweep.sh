#!/usr/bin/env bash
# One device call on a 2-GPU machine: builds, measures the loader against PyTorch's DataLoader on
# a quiet machine, profiles a training step, then trains the accuracy runs side by side (a few per
# GPU) and evaluates each on its test split.
# Usage on the GPU machine: bash scripts/gpu_sweep.sh OUTDIR SECONDS_PER_RUN
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-/tmp/gpu_out}
limit=${2:-280}
mkdir -p "$out" runs
export OMP_WAIT_POLICY=passive
start=$(date +%s)
bash scripts/gpu_build.sh > "$out/build.log" 2>&1 || { tail -60 "$out/build.log"; exit 1; }
echo "build: $(( $(date +%s) - start )) s"
B=build-gpu/softvit
fm=.gpu/data/fashion-mnist
med=.gpu/data/medmnist
{
date -u; nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader; nproc
echo "== loader: softvit vs torch DataLoader (quiet machine)"
$B bench loader /tmp/jpegs --generate 1000 --images 4000 --workers 16
python3 scripts/bench_torch_loader.py /tmp/jpegs --workers 16 --batch 128 --images 8000 2>/dev/null
echo "loader done: $(( $(date +%s) - start )) s"
} 2>&1 | tee "$out/bench.txt"

common=(--set data.workers=3 --set run.threads=2 --set run.log_every=100)
fmr=(--set data.root=$fm --set data.mixup=0 --set train.label_smoothing=0.1 --set train.batch_size=512
     --set optim.lr=0.002 --set train.ema_decay=0.999)
# name gpu config overrides...
runs=(
  "fm_soft 1 configs/fashion_mnist_soft.yaml ${fmr[*]} --set model.name=soft_tiny_patch2_28 --set train.epochs=40"
  "fm_sfvit 0 configs/fashion_mnist_soft.yaml ${fmr[*]} --set train.epochs=40"
  "breast_soft 1 configs/breastmnist.yaml --set data.root=$med/breastmnist.npz --set model.name=soft_tiny_patch2_28 --set model.embed_dim=0 --set model.depth=0 --set model.num_heads=0"
  "breast_sfvit128 0 configs/breastmnist.yaml --set data.root=$med/breastmnist.npz --set model.embed_dim=128 --set model.depth=4 --set model.num_heads=4 --set train.epochs=200"
  "breast_softmax 1 configs/breastmnist.yaml --set data.root=$med/breastmnist.npz --set model.attention=softmax"
  "pneu_soft 0 configs/pneumoniamnist.yaml --set data.root=$med/pneumoniamnist.npz --set model.name=soft_tiny_patch2_28 --set model.embed_dim=0 --set model.depth=0 --set model.num_heads=0"
  "pneu_sfvit 1 configs/pneumoniamnist.yaml --set data.root=$med/pneumoniamnist.npz"
  "pneu_softmax 0 configs/pneumoniamnist.yaml --set data.root=$med/pneumoniamnist.npz --set model.attention=softmax"
)
launch() {
  set -- $1
  local name=$1 gpu=$2 config=$3; shift 3
  CUDA_VISIBLE_DEVICES=$gpu timeout -s INT "$limit" $B train --config "$config" --output "runs/$name" \
    --set run.device=cuda "${common[@]}" "$@" > "$out/$name.train.log" 2>&1 &
}
for r in "${runs[@]:1}"; do launch "$r"; done   # GPU 0's FMNIST run waits for the profile
{
echo "== profile (GPU 0; GPU 1 already training)"
CUDA_VISIBLE_DEVICES=0 $B bench train --model soft_tiny --batch 128 --precision bf16 --device cuda --steps 30 --profile /tmp/soft.json
CUDA_VISIBLE_DEVICES=0 $B bench train --model deit_tiny --batch 128 --precision bf16 --device cuda --steps 30 --profile /tmp/deit.json
} 2>&1 | tee -a "$out/bench.txt"
launch "${runs[0]}"
wait
echo "trainings done: $(( $(date +%s) - start )) s" | tee -a "$out/bench.txt"
for r in "${runs[@]}"; do
  set -- $r
  name=$1
  grep -E "done:|stopping|finished|error" "$out/$name.train.log" | tail -2
  CUDA_VISIBLE_DEVICES=0 $B eval --checkpoint "runs/$name/checkpoints/best.pt" --set run.device=cuda \
    --set eval.bootstrap=1000 --output "runs/$name/test.json" > /dev/null 2>> "$out/eval.log" &
done 2>&1 | tee -a "$out/bench.txt"
wait
for r in "${runs[@]}"; do
  set -- $r
  python3 - "$1" "runs/$1/test.json" <<'PY' 2>&1 | tee -a "$out/bench.txt"
import json, sys
m = json.load(open(sys.argv[2]))
print(f"{sys.argv[1]}: test top1 {m['top1']:.4f} auroc {m.get('auroc_macro')} balanced {m.get('balanced_accuracy')}")
PY
done
tar czf "$out/runs.tar.gz" runs/*/summary.csv runs/*/test.json runs/*/curves.png runs/*/config.yaml runs/*/train.log \
  runs/*/metrics.jsonl runs/*/test_*.png "$out"/*.train.log 2>/dev/null
rm -f "$out"/*.train.log
echo "total: $(( $(date +%s) - start )) s"
