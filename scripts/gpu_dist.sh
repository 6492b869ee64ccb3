#!/usr/bin/env bash
# One device call on a machine of 2 GPUs (kind nvidia-h200-x2): build for Hopper, weak scaling of
# `bench train` on 1 GPU vs 2 GPUs through `softvit launch` (per-GPU batch 128, bf16, 224 px), a short
# real 2-GPU training on the synthetic source through the launcher, and the dist tests.
# The machine has no libgloo-dev: once, here, copy gloo's headers into the carried .gpu folder:
#   mkdir -p .gpu/gloo-include && cp -r /usr/include/gloo .gpu/gloo-include/
# Usage (on the GPU machine, from the repo root, with .gpu carried): bash scripts/gpu_dist.sh OUTDIR
# shellcheck source=scripts/gpu_prelude.sh
source "$(dirname "$0")/gpu_prelude.sh"
output_folder "${1:-/tmp/gpu_dist}"
quiet_openmp
export NCCL_NVLS_ENABLE=0  # NVLink multicast must stay off on these machines
[ -f .gpu/gloo-include/gloo/config.h ] || [ -f /usr/include/gloo/config.h ] ||
  echo "warning: no gloo headers (.gpu/gloo-include/gloo): CPU ranks and the dist tests will fail (see above)"
build_softvit "$out/build.log" || exit 1
echo "build: $(elapsed) s"
work=$(mktemp -d)
{
  date -u
  gpu_info
  grep -E "^SOFTVIT_(GLOO|NCCL)_INCLUDE_DIR" build-gpu/CMakeCache.txt
  nvidia-smi topo -m
  for m in deit_tiny soft_tiny; do
    $B bench train --model $m --img-size 224 --batch 128 --precision bf16 --device cuda --json "$work/${m}_1.json" | tail -1
    timeout 300 $B launch --nproc-per-node 2 -- bench train --model $m --img-size 224 --batch 128 --precision bf16 \
      --device cuda --json "$work/${m}_2.json" 2>&1 | grep -v "^\[rank 1\]" | tail -3
    echo "launch exit ${PIPESTATUS[0]}"
  done
  echo
  echo "weak scaling (per-GPU batch 128, bf16, 224 px): efficiency = 2-GPU img/s / (2 x 1-GPU img/s)"
  python3 - "$work" <<'PY'
import json, sys, os
d = sys.argv[1]
print(f"{'model':<10} {'1 GPU img/s':>12} {'2 GPU img/s':>12} {'per rank':>20} {'efficiency':>10}")
for m in ("deit_tiny", "soft_tiny"):
    try:
        one = json.load(open(os.path.join(d, f"{m}_1.json")))[0]
        two = json.load(open(os.path.join(d, f"{m}_2.json")))[0]
    except Exception as e:
        print(f"{m:<10} missing result: {e}")
        continue
    ranks = ", ".join(f"{v:.0f}" for v in two.get("per_rank_img_s", []))
    print(f"{m:<10} {one['img_s']:>12.1f} {two['img_s']:>12.1f} {ranks:>20} {two['img_s'] / (2 * one['img_s']):>10.1%}")
PY
} 2>&1 | tee "$out/dist.txt"
echo "bench done: $(elapsed) s"

# A short real training on 2 GPUs: synthetic 28 px images, a small ViT, 3 epochs, through the launcher.
cat > "$work/smoke.yaml" <<'YAML'
model: {name: vit_mini_patch4_28}
data: {source: synthetic, synthetic_samples: 4096, synthetic_size: 28, synthetic_classes: 10, limit_eval: 1001}
train: {epochs: 3, batch_size: 128, precision: bf16}
run: {device: cuda, log_every: 8}
YAML
timeout 300 $B launch --nproc-per-node 2 -- train --config "$work/smoke.yaml" --output "$work/smoke" \
  > "$out/smoke_train.log" 2>&1
echo "2-GPU training: launch exit $? in $(elapsed) s total" | tee -a "$out/dist.txt"
grep -E "rank 0 of 2|epoch [0-9]+/3 done|finished|error|failed" "$out/smoke_train.log" | head -20 | tee -a "$out/dist.txt"
cp "$work/smoke/summary.csv" "$out/smoke_summary.csv" 2>/dev/null

# Tests of the distributed code (CPU ranks through Gloo), as CI runs them.
timeout "${TEST_TIMEOUT:-200}" ctest --test-dir build-gpu -R "^dist:" -j4 --timeout 120 > "$out/ctest.log" 2>&1
echo "ctest -R ^dist: exit $?: $(tail -4 "$out/ctest.log" | head -2)" | tee -a "$out/dist.txt"
grep -E "\*\*\*Failed|Timeout" "$out/ctest.log" | head -20
echo "total: $(elapsed) s"
