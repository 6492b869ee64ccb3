#!/usr/bin/env bash
# Issue 17's comparisons in one device call, each like for like and in the same call:
#   - DeiT-Tiny, batch 256, bf16, fused AdamW, synthetic data on the GPU: softvit eager against timm
#     eager; softvit's CUDA graph against torch.compile mode="reduce-overhead" (also CUDA graphs);
#     torch.compile's default and max-autotune-no-cudagraphs beside them, and max-autotune last
#     (its autotuning takes minutes; it gets what is left of the call);
#   - SOFT-Tiny and the release's SOFT-Small (soft_small_release), batch 128, channels-last, eager
#     and CUDA graph (the reference release's figures are in ../shared/docs/anchors.md);
#   - the sequence-normalised ViT against DeiT-Tiny as Imagenette trains them (128 px, patch 8), its
#     sequence norm as one autograd function and, SOFTVIT_FUSED_SEQNORM=0, left to autograd;
#   - JPEG decoding on the GPU (nvJPEG) against the CPU decoder: pixels and img/s (check decode);
#   - data.decode gpu (gpudecode): the crop_resize kernel against its reference (check kernels), the
#     GPU-decode training loader alone, and DeiT-Tiny training at 224 px on 500x375 JPEGs with
#     data.decode cpu and gpu against the same model on synthetic data (issue 17's target: >= 90 %);
#   - profiles of DeiT-Tiny's step, softvit eager and Inductor without CUDA graphs (the top kernels);
#   - the loader: softvit's whole loader against PyTorch's DataLoader, both giving uint8 batches of
#     128 in pinned memory that are normalised on the GPU (scripts/bench_torch_loader.py --device cuda).
# Usage on the GPU machine, with .gpu carried: bash scripts/gpu_speed.sh OUTDIR [SECTION...]
# SECTIONs (default: all, in this order): deit, soft, sfvit, loader, decode, gpudecode, profile,
# autotune.
# A call of 600 s may not hold them all with the build; later calls on the warm machine skip the
# finished build.
# OUTDIR/speed.txt is the raw output to commit under docs/results/.
# shellcheck source=scripts/gpu_prelude.sh
source "$(dirname "$0")/gpu_prelude.sh"
output_folder "${1:-/tmp/gpu_speed}"
shift
sections=" ${*:-deit soft sfvit loader decode gpudecode profile autotune} "
wants() { [[ "$sections" == *" $1 "* ]]; }
quiet_openmp
build_softvit "$out/build.log" softvit || exit 1
stamp build | tee "$out/build_time.txt"
g=(--precision bf16 --device cuda)
{
  date -u; gpu_info | head -1; echo "$(nproc) cores"
  if wants deit; then
    stamp "DeiT-Tiny, batch 256: softvit eager, softvit CUDA graph"
    $B bench train --model deit_tiny --batch 256 "${g[@]}" | tail -1
    $B bench train --model deit_tiny --batch 256 "${g[@]}" --cuda-graph | tail -1
    stamp "DeiT-Tiny, batch 256: timm eager, then torch.compile modes"
    for mode in "" default reduce-overhead max-autotune-no-cudagraphs; do
      timeout 200 python3 scripts/bench_timm.py --batch 256 ${mode:+--compile-mode $mode} 2>/dev/null
    done
  fi
  if wants soft; then
    stamp "SOFT-Tiny and soft_small_release, batch 128, channels-last: eager, CUDA graph"
    for m in soft_tiny soft_small_release; do
      $B bench train --model "$m" --batch 128 "${g[@]}" --channels-last | tail -1
      $B bench train --model "$m" --batch 128 "${g[@]}" --channels-last --cuda-graph | tail -1
    done
  fi
  if wants sfvit; then
    stamp "Imagenette's ViTs, 128 px, patch 8, batch 128: DeiT-Tiny, sfvit_tiny, sfvit_tiny by autograd"
    p8=(--img-size 128 --set model.patch_size=8 --batch 128 "${g[@]}" --cuda-graph)
    $B bench train --model deit_tiny "${p8[@]}" | grep "^train"
    $B bench train --model sfvit_tiny "${p8[@]}" | grep "^train"
    SOFTVIT_FUSED_SEQNORM=0 $B bench train --model sfvit_tiny "${p8[@]}" | grep "^train"
  fi
  if wants loader; then
    stamp "loader: softvit's whole loader, then the DataLoader (uint8 pinned batches of 128, normalised on the GPU)"
    timeout 200 $B bench loader /tmp/jpegs --generate 3000 --images 12000 --workers 16 --batch 128 --device cuda | tail -7
    timeout 90 python3 scripts/bench_torch_loader.py /tmp/jpegs --workers 16 --batch 128 --images 12000 --device cuda
  fi
  if wants decode; then
    stamp "JPEG decode: nvJPEG (hardware decoder + CUDA) against the CPU decoder, then nvJPEG's CUDA decoder alone"
    [ -d /tmp/jpegs ] || $B bench loader /tmp/jpegs --generate 3000 --images 128 --batch 128 --device cpu >/dev/null
    $B check decode /tmp/jpegs --images 3000
    $B check decode /tmp/jpegs --images 3000 --no-hardware | tail -6
  fi
  if wants gpudecode; then
    stamp "data.decode gpu: check kernels (crop_resize), then the training loader alone, cpu and gpu decode"
    $B check kernels 2>&1 | grep -iE "crop|fail|pass" | head -20
    [ -d /tmp/jpegs/all ] || $B bench loader /tmp/jpegs/all --generate 3000 --images 128 --batch 128 --device cpu >/dev/null
    [ -d /tmp/jpegs/train ] || jpeg_class_folders /tmp/jpegs 4
    jt=(--set data.root=/tmp/jpegs --set model.name=deit_tiny --set run.device=cuda --set train.batch_size=256
      --set 'data.train_transforms=["random_resized_crop(size=224)", "hflip(p=0.5)"]'
      --set data.mixup=0 --set data.cutmix=0 --set data.workers=16)
    for d in cpu gpu; do
      timeout 120 $B bench loader --config configs/soft_tiny_imagenet.yaml "${jt[@]}" --set data.decode=$d \
        --images 12000 | tail -3
    done
    stamp "data.decode gpu: DeiT-Tiny b256 at 224 px, synthetic data, then 500x375 JPEGs decoded on the CPU and on the GPU"
    $B bench train --model deit_tiny --batch 256 "${g[@]}" | tail -1
    for d in cpu gpu; do
      timeout -s INT 75 $B train --config configs/soft_tiny_imagenet.yaml "${jt[@]}" --set data.decode=$d \
        --set train.epochs=12 --set run.log_every=10 --set train.ema_decay=0 --set checkpoint.best_metric=val_top1 \
        --set schedule.warmup_epochs=1 --output /tmp/deit_jpeg_$d 2>&1 | grep -E "img/s|decode|error" | cut -c1-200 | tail -14
    done
  fi
  if wants profile; then
    # Kernels side by side: softvit's eager step against Inductor's without CUDA graphs (as fast as
    # reduce-overhead on this model), 10 steps each: what Inductor fuses that softvit launches apart.
    stamp "profile: DeiT-Tiny, batch 256, softvit eager, then timm max-autotune-no-cudagraphs"
    $B bench train --model deit_tiny --batch 256 "${g[@]}" --profile "$out/softvit_deit_tiny.json" | tail -45
    timeout 240 python3 scripts/bench_timm.py --batch 256 --compile-mode max-autotune-no-cudagraphs --profile 10 \
      2>/dev/null | tail -45
  fi
  if wants autotune; then
    stamp "DeiT-Tiny, batch 256: torch.compile max-autotune (what is left of the call)"
    timeout 240 python3 scripts/bench_timm.py --batch 256 --compile-mode max-autotune 2>/dev/null
  fi
  stamp "done"
} 2>&1 | tee -a "$out/speed.txt"
