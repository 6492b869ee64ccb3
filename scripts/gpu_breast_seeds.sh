#!/usr/bin/env bash
# BreastMNIST with configs/breastmnist_soft.yaml from several seeds side by side on one GPU, each
# stopped by SIGINT at a time cap (it saves and exits), then its best.pt evaluated on test as the
# config says (test.json) and, when the config has test-time augmentation, without it
# (test_no_tta.json). Prints a line per evaluation; the runs' logs and metrics go to
# runs/breast_soft_seed*.
# Usage on the GPU machine, after scripts/gpu_build.sh:
#   [SEEDS="3 4 5"] [BREAST_CAP=330] [BREAST_GPU=0] bash scripts/gpu_breast_seeds.sh
# shellcheck source=scripts/gpu_prelude.sh
source "$(dirname "$0")/gpu_prelude.sh"
med=.gpu/data/medmnist
seeds=${SEEDS:-3 4 5}
for seed in $seeds; do
  mkdir -p runs/breast_soft_seed$seed
  CUDA_VISIBLE_DEVICES=${BREAST_GPU:-0} timeout -s INT "${BREAST_CAP:-330}" $B train \
    --config configs/breastmnist_soft.yaml --set data.root=$med/breastmnist.npz --set run.device=cuda \
    --set data.workers=2 --set run.threads=1 --set train.cuda_graph=true --set run.seed=$seed \
    --output /dev/shm/breast_soft_seed$seed > runs/breast_soft_seed$seed/train.log 2>&1 &
done
wait
for seed in $seeds; do
  r=/dev/shm/breast_soft_seed$seed
  grep -E "finished|stopping" runs/breast_soft_seed$seed/train.log | tail -1 | cut -c1-170
  variants=test
  grep -q "tta: hflip" $r/config.yaml 2>/dev/null && variants="test test_no_tta"  # else the same figures
  for variant in $variants; do
    extra=""; [ $variant = test_no_tta ] && extra="--set eval.tta=none"
    CUDA_VISIBLE_DEVICES=${BREAST_GPU:-0} timeout 30 $B eval --checkpoint $r/checkpoints/best.pt \
      --set run.device=cuda $extra --output $r/$variant.json > /dev/null 2>&1
    python3 -c "import json; m=json.load(open('$r/$variant.json')); print('seed $seed $variant', m['weights'], 'tta', m['tta'], 'top1', round(m['top1'],4), 'auroc', round(m['auroc_macro'],4), 'ci95', m['ci95'].get('auroc_macro'), m['ci95'].get('top1'))"
  done
  cp $r/{test.json,test_no_tta.json,metrics.jsonl,summary.csv,config.yaml} runs/breast_soft_seed$seed/ 2>/dev/null
done
