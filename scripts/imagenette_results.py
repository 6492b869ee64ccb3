#!/usr/bin/env python3
"""The table of a set of collected Imagenette runs (scripts/gpu_imagenette.sh collect, unpacked).

Usage: python3 scripts/imagenette_results.py RUNS_DIR [RUNS_FILE ...]
Each run folder holds summary.csv, train.log and metrics.jsonl.gz. The headline figure is the last
epoch's val top-1 (no test-time augmentation); best.pt is ranked by val top-1 on the same split.
RUNS_FILE (scripts/imagenette_sweep.txt, or the second_set.txt the runs were started from) gives
each run's overrides for the table.
"""
import csv
import gzip
import json
import os
import re
import statistics
import sys


def overrides(files):
    out = {}
    for f in files:
        for line in open(f):
            parts = line.split()
            if parts and not parts[0].startswith("#"):
                out[parts[0]] = " ".join(p for p in parts[2:] if p != "--set")
    return out


def run_row(folder):
    rows = list(csv.DictReader(open(os.path.join(folder, "summary.csv"))))
    if not rows:
        return None
    last = rows[-1]
    waits, idles = [], []
    path = os.path.join(folder, "metrics.jsonl.gz")
    if os.path.exists(path):
        for line in gzip.open(path, "rt"):
            record = json.loads(line)
            if record.get("type") == "epoch" and "data_wait" in record:
                waits.append(record["data_wait"])
            if record.get("type") == "epoch" and record.get("gpu_idle") is not None:
                idles.append(record["gpu_idle"])  # runs since 2026-12-08: the GPU's side
    log = open(os.path.join(folder, "train.log")).read() if os.path.exists(os.path.join(folder, "train.log")) else ""
    finished = re.search(r"finished: best (\S+) ([\d.]+) at epoch (\d+), (\S+), (\d+) img/s, peak GPU memory ([\d.]+) GiB", log)
    model = re.search(r"model: (\S+), (\d+) parameters", log)
    return {
        "epochs": int(last["epoch"]),
        "val_top1": float(last["val_top1"]),
        "ema_top1": float(last["ema_val_top1"]) if last.get("ema_val_top1") else None,
        "best": f"{float(finished.group(2)) * 100:.2f} @ {finished.group(3)}" if finished else "",
        "wall": finished.group(4) if finished else "(unfinished)",
        "img_s": statistics.mean(float(r["img_s"]) for r in rows),
        "data_wait": statistics.mean(waits) if waits else None,
        "gpu_idle": statistics.mean(idles) if idles else None,
        "memory": finished.group(6) if finished else "",
        "model": model.group(1) if model else "",
    }


def main():
    root, files = sys.argv[1], sys.argv[2:]
    sets = overrides(files)
    print("| run | model | overrides | epochs | val top-1, last epoch | EMA top-1, last | best (epoch) "
          "| train img/s (mean of epochs) | data wait (host) | GPU idle between steps | peak GPU GiB | wall |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name in sorted(os.listdir(root)):
        folder = os.path.join(root, name)
        if not os.path.exists(os.path.join(folder, "summary.csv")):
            continue
        r = run_row(folder)
        if r is None:
            continue
        ema = f"{100 * r['ema_top1']:.2f}" if r["ema_top1"] is not None else ""
        wait = f"{100 * r['data_wait']:.1f} %" if r["data_wait"] is not None else ""
        idle = f"{100 * r['gpu_idle']:.1f} %" if r["gpu_idle"] is not None else ""
        print(f"| {name} | {r['model']} | {sets.get(name, '')} | {r['epochs']} | {100 * r['val_top1']:.2f} | {ema} "
              f"| {r['best']} | {r['img_s']:.0f} | {wait} | {idle} | {r['memory']} | {r['wall']} |")


if __name__ == "__main__":
    main()
