#!/usr/bin/env bash
# One device call behind the README's Results table, on a 2-GPU machine: builds; profiles a SOFT-Tiny
# and a DeiT-Tiny step (ours and timm's, GPU 0 quiet) while Fashion-MNIST trains on GPU 1; then the
# MedMNIST runs side by side on GPU 0; then `softvit eval` of every best.pt on its test split.
# Usage on the GPU machine: bash scripts/gpu_results.sh OUTDIR [SECONDS_PER_RUN]
# shellcheck source=scripts/gpu_prelude.sh
source "$(dirname "$0")/gpu_prelude.sh"
output_folder "${1:-/tmp/gpu_out}" runs
limit=${2:-330}
quiet_openmp
build_softvit "$out/build.log" || exit 1
echo "build: $(elapsed) s"
fm=.gpu/data/fashion-mnist
med=.gpu/data/medmnist
common=(--set run.device=cuda --set data.workers=3 --set run.threads=2 --set run.log_every=100)
# name gpu config overrides...
runs=(
  "fashion_mnist_soft 1 configs/fashion_mnist_soft.yaml --set data.root=$fm"
  "breastmnist_soft 0 configs/breastmnist_soft.yaml --set data.root=$med/breastmnist.npz"
  "breastmnist 0 configs/breastmnist.yaml --set data.root=$med/breastmnist.npz"
  "breastmnist_softmax 0 configs/breastmnist.yaml --set data.root=$med/breastmnist.npz --set model.attention=softmax"
  "pneumoniamnist_soft 0 configs/pneumoniamnist_soft.yaml --set data.root=$med/pneumoniamnist.npz"
  "pneumoniamnist 0 configs/pneumoniamnist.yaml --set data.root=$med/pneumoniamnist.npz"
  "pneumoniamnist_softmax 0 configs/pneumoniamnist.yaml --set data.root=$med/pneumoniamnist.npz --set model.attention=softmax"
)
launch() {
  set -- $1
  local name=$1 gpu=$2 config=$3; shift 3
  CUDA_VISIBLE_DEVICES=$gpu timeout -s INT "$limit" $B train --config "$config" --output "runs/$name" \
    "${common[@]}" "$@" > "$out/$name.train.log" 2>&1 &
}
launch "${runs[0]}"
{
  date -u; gpu_info | head -1
  echo "== profiles on GPU 0 (GPU 1 trains Fashion-MNIST)"
  export CUDA_VISIBLE_DEVICES=0
  $B bench train --model soft_tiny --batch 128 --precision bf16 --device cuda --steps 30 --profile /tmp/soft.json
  $B bench train --model deit_tiny --batch 256 --precision bf16 --device cuda --steps 30 --profile /tmp/deit.json
  python3 scripts/bench_timm.py --batch 256 --profile 10 2>/dev/null
} > "$out/profile.txt" 2>&1
echo "profiles: $(elapsed) s"
for r in "${runs[@]:1}"; do launch "$r"; done
wait
echo "trainings done: $(elapsed) s"
for r in "${runs[@]}"; do
  set -- $r
  grep -E "done:|stopping|finished|error" "$out/$1.train.log" | tail -2
  CUDA_VISIBLE_DEVICES=0 $B eval --checkpoint "runs/$1/checkpoints/best.pt" --set run.device=cuda \
    --set eval.bootstrap=1000 --output "runs/$1/test.json" > /dev/null 2>> "$out/eval.log" &
done
wait
for r in "${runs[@]}"; do
  set -- $r
  python3 - "$1" "runs/$1/test.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[2]))
ci = m.get("ci95", {})
print(f"{sys.argv[1]}: test top1 {m['top1']:.4f} auroc {m.get('auroc_macro')} balanced {m.get('balanced_accuracy')} "
      f"ci95 {json.dumps(ci)[:200]}")
PY
done
cp "$out"/*.train.log runs/ 2>/dev/null
tar czf "$out/runs.tar.gz" runs/*/summary.csv runs/*/test.json runs/*/curves.png runs/*/config.yaml runs/*/train.log \
  runs/*/metrics.jsonl runs/*/test_*.png runs/*.train.log 2>/dev/null
rm -f "$out"/*.train.log
echo "total: $(elapsed) s"
