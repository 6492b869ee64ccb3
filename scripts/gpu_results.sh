#!/usr/bin/env bash
# One device call that produces the results table (README "Results"): builds, starts the trainings
# side by side on the GPU, runs the test suite while they train, then evaluates every run on its
# test split. Usage on the GPU machine: bash scripts/gpu_results.sh OUTDIR [SECONDS_PER_RUN]
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-/tmp/gpu_out}
limit=${2:-380}
mkdir -p "$out" runs
export OMP_WAIT_POLICY=passive
start=$(date +%s)
bash scripts/gpu_build.sh > "$out/build.log" 2>&1 || { tail -60 "$out/build.log"; exit 1; }
echo "build: $(( $(date +%s) - start )) s"
B=build-gpu/softvit
fm=.gpu/data/fashion-mnist
med=.gpu/data/medmnist
common=(--set run.device=cuda --set data.workers=2 --set run.log_every=200)
# name config extra-overrides...
runs=(
  "fashion_mnist_soft configs/fashion_mnist_soft.yaml --set data.root=$fm --set train.epochs=40"
  "fashion_mnist_vit configs/fashion_mnist_vit.yaml --set data.root=$fm"
  "breastmnist configs/breastmnist.yaml --set data.root=$med/breastmnist.npz"
  "breastmnist_softmax configs/breastmnist.yaml --set data.root=$med/breastmnist.npz --set model.attention=softmax"
  "pneumoniamnist configs/pneumoniamnist.yaml --set data.root=$med/pneumoniamnist.npz"
  "pneumoniamnist_softmax configs/pneumoniamnist.yaml --set data.root=$med/pneumoniamnist.npz --set model.attention=softmax"
)
for r in "${runs[@]}"; do
  set -- $r
  name=$1 config=$2; shift 2
  timeout -s INT "$limit" $B train --config "$config" --output "runs/$name" "${common[@]}" "$@" \
    > "$out/$name.train.log" 2>&1 &
done
mkdir -p /usr/share/datasets ../shared/data
[ -e /usr/share/datasets/fashion-mnist ] || ln -s "$PWD/$fm" /usr/share/datasets/fashion-mnist
[ -e ../shared/data/medmnist ] || ln -s "$PWD/$med" ../shared/data/medmnist
timeout 240 ctest --test-dir build-gpu -j8 --timeout 120 > "$out/ctest.log" 2>&1
echo "ctest exit $?: $(grep 'tests passed' "$out/ctest.log")"
grep -E "\*\*\*Failed|SEGFAULT|Timeout" "$out/ctest.log" | head -10
wait
echo "trainings done: $(( $(date +%s) - start )) s"
for r in "${runs[@]}"; do
  set -- $r
  name=$1
  tail -2 "$out/$name.train.log" | head -1
  $B eval --checkpoint "runs/$name/checkpoints/best.pt" --set run.device=cuda --set eval.bootstrap=1000 \
    --output "runs/$name/test.json" > /dev/null 2>> "$out/eval.log"
  python3 - "$name" "runs/$name/test.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[2]))
ci = m.get("ci95", {})
print(f"{sys.argv[1]}: test top1 {m['top1']:.4f} auroc {m.get('auroc_macro')} balanced {m.get('balanced_accuracy')} "
      f"ci95 {json.dumps(ci)[:160]}")
PY
done
tar czf "$out/runs.tar.gz" runs/*/summary.csv runs/*/test.json runs/*/curves.png runs/*/config.yaml runs/*/train.log \
  runs/*/test_*.png 2>/dev/null
echo "total: $(( $(date +%s) - start )) s"
