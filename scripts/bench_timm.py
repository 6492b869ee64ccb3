"""Training-step throughput of timm's DeiT-Tiny in PyTorch eager (the alternative softvit is
compared with in the same device run): synthetic data on the GPU, bf16 autocast, fused AdamW.

    python3 scripts/bench_timm.py --batch 256 --steps 50 [--compile | --compile-mode MODE]
--compile is torch.compile's default mode; --compile-mode names another: reduce-overhead (CUDA
graphs, what softvit's --cuda-graph rows are compared with), max-autotune, or
max-autotune-no-cudagraphs. Prints one JSON line per configuration.
"""
import argparse
import json
import time

import timm
import torch


def profile(step, steps: int, trace: str = "") -> None:
    """The top CUDA kernels of `steps` steps, to compare with `softvit bench train --profile`;
    with `trace`, also a Chrome trace with the operators' input shapes and dtypes."""
    activities = [torch.profiler.ProfilerActivity.CUDA] + ([torch.profiler.ProfilerActivity.CPU] if trace else [])
    with torch.profiler.profile(activities=activities, record_shapes=bool(trace)) as prof:
        for _ in range(steps):
            step()
        torch.cuda.synchronize()
    if trace:
        prof.export_chrome_trace(trace)
    print(prof.key_averages().table(sort_by="cuda_time_total", row_limit=30, max_name_column_width=90),
          flush=True)


def bench(model_name: str, batch: int, img: int, steps: int, warmup: int, compile_mode: str,
          profile_steps: int = 0, trace: str = "") -> dict:
    torch.manual_seed(0)
    model = timm.create_model(model_name, pretrained=False, num_classes=1000).cuda().train()
    step_model = torch.compile(model, mode=compile_mode) if compile_mode else model
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05, fused=True)
    x = torch.randn(batch, 3, img, img, device="cuda")
    y = torch.randint(0, 1000, (batch,), device="cuda")

    def step():
        if compile_mode in ("reduce-overhead", "max-autotune"):  # CUDA graph trees: a new iteration
            torch.compiler.cudagraph_mark_step_begin()
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast("cuda", dtype=torch.bfloat16):
            loss = torch.nn.functional.cross_entropy(step_model(x), y)
        loss.backward()
        optimizer.step()

    for _ in range(warmup):
        step()
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(steps):
        step()
    stop.record()
    stop.synchronize()
    ms = start.elapsed_time(stop) / steps
    if profile_steps:
        profile(step, profile_steps, trace)
    return {"impl": f"timm compile {compile_mode}" if compile_mode else "timm eager", "model": model_name, "batch": batch,
            "img_size": img, "img_s": batch * 1000.0 / ms, "ms_per_step": ms,
            "peak_gib": torch.cuda.max_memory_allocated() / 2**30}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="deit_tiny_patch16_224")
    parser.add_argument("--batch", type=int, nargs="+", default=[128, 256])
    parser.add_argument("--img-size", type=int, default=224)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--compile", action="store_true", help="torch.compile, default mode")
    parser.add_argument("--compile-mode", default="",
                        choices=["", "default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs"])
    parser.add_argument("--profile", type=int, default=0, help="then profile this many steps")
    parser.add_argument("--trace", default="", help="with --profile: write a Chrome trace (one batch size)")
    args = parser.parse_args()
    mode = args.compile_mode or ("default" if args.compile else "")
    for batch in args.batch:
        start = time.time()
        row = bench(args.model, batch, args.img_size, args.steps, args.warmup, mode, args.profile,
                    args.trace)
        row["wall_s"] = time.time() - start
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
