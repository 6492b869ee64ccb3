#!/usr/bin/env bash
# Imagenette on the GPU machine, across consecutive device calls. The four shards (72 MB) exceed one
# call's 64 MiB, so they travel in two halves that stay on the warm machine outside the carried
# folders (in $SOFTVIT_GPU_DATA, default /tmp/softvit-data/imagenette), and the runs go on in the
# background between calls. The machine is given back after 30 s idle: make the calls one after
# another without a pause.
#
# Here, once: bash scripts/gpu_imagenette.sh split-shards   (fills .data/imagenette-{a,b}, ignored by git)
# Device calls:
#   1. carry .gpu and .data/imagenette-a:  bash scripts/gpu_imagenette.sh stage .data/imagenette-a build
#   2. carry .data/imagenette-b:           bash scripts/gpu_imagenette.sh stage .data/imagenette-b \
#                                            pair 75 start scripts/imagenette_runs.txt
#   3. (as often as needed)                bash scripts/gpu_imagenette.sh wait SECONDS collect
# `use-tar` inflates the staged shards once to .tar beside the .tar.gz, and later `pair` and `start`
# steps read those (the same samples; gzip is about 14 % of the loader's CPU time at 128 px).
# `pair` measures the loader's data wait with two runs side by side; `start` launches the runs of a
# file of lines "NAME CONFIG [--set key=value ...]" (scripts/imagenette_runs.txt) in the background.
# `wait` returns early when every run has ended; `collect` copies each run's summary.csv,
# metrics.jsonl, train.log and config.yaml to $OUT (scripts/imagenette_results.py makes the table).
# shellcheck source=scripts/gpu_prelude.sh
source "$(dirname "$0")/gpu_prelude.sh"
data=${SOFTVIT_GPU_DATA:-/tmp/softvit-data/imagenette}
runs_dir=${SOFTVIT_GPU_RUNS:-/tmp/softvit-runs}
shard_sets=()  # set by use-tar

split_shards() {  # here, not on the GPU machine
  local src=../shared/data/imagenette
  mkdir -p .data/imagenette-a .data/imagenette-b  # .data/ is ignored by git (.gitignore)
  cp "$src"/imagenette2-160-train-00000[01].tar.gz "$src"/classes.tsv "$src"/MANIFEST.tsv .data/imagenette-a/
  cp "$src"/imagenette2-160-train-000002.tar.gz "$src"/imagenette2-160-val-000000.tar.gz .data/imagenette-b/
  du -sh .data/imagenette-a .data/imagenette-b
}

stage() {  # $1: a carried folder of shards
  mkdir -p "$data"
  cp "$1"/* "$data"/ && echo "staged $(ls "$data" | wc -l) files in $data: $(du -sh "$data" | cut -f1)"
}

use_tar() {
  local f
  for f in "$data"/*.tar.gz; do
    [ -e "${f%.gz}" ] || gzip -dc "$f" >"${f%.gz}" || return 1
  done
  shard_sets=(--set 'data.shards=["imagenette2-160-{split}-*.tar"]')
  echo "reading uncompressed shards: $(du -shc "$data"/*.tar | tail -1 | cut -f1)"
}

build() {
  local start=$SECONDS
  build_softvit /tmp/softvit-build.log softvit 40 || return 1
  echo "build: $((SECONDS - start)) s"
  date -u; gpu_info | head -1
}

# Each run in its own process session (setsid), so that it outlives this call; 16 cores are shared
# by the runs' loaders.
start_runs() {  # $1: the runs file
  local -  # set -f below ends with the function
  set -f   # a run's --set values may hold [ ] (YAML lists): no pathname expansion
  mkdir -p "$runs_dir"
  local n
  n=$(grep -cv '^\s*\(#\|$\)' "$1")
  local workers=$(( $(nproc) / n > 2 ? $(nproc) / n : 2 ))
  while read -r name config rest; do
    [[ -z "$name" || "$name" == \#* ]] && continue
    # shellcheck disable=SC2086  # rest holds the run's --set arguments
    setsid nohup $B train --config "$config" --output "$runs_dir/$name" --set data.root="$data" \
      --set data.workers=$workers --set run.threads=2 "${shard_sets[@]}" $rest >"$runs_dir/$name.out" 2>&1 </dev/null &
    echo "started $name ($config $rest), $workers loader threads"
  done <"$1"
}

# The loader's data wait with two runs side by side (SOFT-Tiny and DeiT-Tiny, half the cores each),
# for $1 seconds; the runs are then stopped and removed.
pair() {
  local dir=/tmp/softvit-pair half=$(( $(nproc) / 2 ))
  rm -rf "$dir"
  for model in soft deit; do
    timeout -s INT "$1" $B train --config "configs/imagenette_$model.yaml" --output "$dir/$model" \
      --set data.root="$data" --set data.workers=$((half - 1)) --set run.threads=1 --set run.log_every=20 "${shard_sets[@]}" \
      >"$dir.$model.out" 2>&1 &
  done
  wait
  for model in soft deit; do
    echo "== $model, side by side with the other, $((half - 1)) loader threads, ${shard_sets[*]:-.tar.gz shards}:"
    grep -E "done:|error" "$dir.$model.out" | cut -c1-220
  done
  rm -rf "$dir"
}

running() { pgrep -f "$B train" >/dev/null; }

wait_runs() {  # $1: seconds at most
  local end=$((SECONDS + $1))
  while running && [ $SECONDS -lt $end ]; do sleep 10; done
  for log in "$runs_dir"/*.out; do
    echo "$(basename "$log" .out): $(grep -E "epoch [0-9]+/[0-9]+ done|error|collapsed" "$log" | tail -1 | cut -c1-200)"
  done
  running && echo "still running" || echo "all runs ended"
}

collect() {
  [ -n "${OUT:-}" ] || { echo "OUT is not set"; return 1; }
  for dir in "$runs_dir"/*/; do
    local name
    name=$(basename "$dir")
    mkdir -p "$OUT/$name"
    cp "$dir"/summary.csv "$dir"/config.yaml "$dir"/train.log "$OUT/$name/" 2>/dev/null
    gzip -c "$dir"/metrics.jsonl >"$OUT/$name/metrics.jsonl.gz" 2>/dev/null
  done
  # Runs still going change their files while tar reads them: what was read is kept.
  tar czf "$OUT/runs.tar.gz" -C "$OUT" --exclude runs.tar.gz --warning=no-file-changed . || true
  find "$OUT" -mindepth 1 -maxdepth 1 -type d -exec rm -rf {} +
  echo "collected $(ls "$runs_dir" | grep -vc '\.out$') runs into $OUT/runs.tar.gz"
}

while [ $# -gt 0 ]; do
  case "$1" in
    split-shards) split_shards; shift ;;
    stage) stage "$2" || exit 1; shift 2 ;;
    build) build || exit 1; shift ;;
    use-tar) use_tar || exit 1; shift ;;
    pair) pair "$2"; shift 2 ;;
    start) start_runs "$2"; shift 2 ;;
    wait) wait_runs "$2"; shift 2 ;;
    collect) collect; shift ;;
    *) echo "unknown step '$1'"; exit 2 ;;
  esac
done
