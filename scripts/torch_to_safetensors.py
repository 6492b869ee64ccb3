#!/usr/bin/env python3
"""Converts a PyTorch checkpoint to safetensors for softvit's model.init_from / softvit convert.

softvit's C++ side reads .pt files that hold plain dicts of tensors; training checkpoints such as
the SOFT reference release's also pickle Python objects (argparse namespaces, optimizer classes)
that only Python can rebuild. This script loads one with torch.load (which runs the pickle's code:
convert only files you trust), takes the state dict from the top level or from under
state_dict / model / model_ema / module, and writes it with safetensors.torch.save_file. Prefixes
such as "module." are left for softvit to strip.

  python scripts/torch_to_safetensors.py soft_tiny.pth soft_tiny.safetensors [--key model]
"""
import argparse

import torch
from safetensors.torch import save_file

NESTED_KEYS = ("state_dict", "model", "model_ema", "module")


def find_state_dict(obj, key=None):
    if key is not None:
        return obj[key]
    if isinstance(obj, dict) and obj and all(isinstance(v, torch.Tensor) for v in obj.values()):
        return obj
    if isinstance(obj, dict):
        for nested in NESTED_KEYS:
            if nested in obj:
                return find_state_dict(obj[nested])
    keys = list(obj)[:10] if isinstance(obj, dict) else type(obj).__name__
    raise SystemExit(f"no dict of tensors found (top level: {keys}); pass --key")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint")
    parser.add_argument("output")
    parser.add_argument("--key", help="the checkpoint's key that holds the state dict")
    args = parser.parse_args()
    state = find_state_dict(torch.load(args.checkpoint, map_location="cpu", weights_only=False), args.key)
    # clone(): safetensors refuses tensors that share memory (tied or sliced weights).
    tensors = {name: tensor.detach().contiguous().clone() for name, tensor in state.items()}
    save_file(tensors, args.output, metadata={"format": "pt", "source": args.checkpoint})
    print(f"{args.output}: {len(tensors)} tensors")


if __name__ == "__main__":
    main()
