#!/usr/bin/env python3
"""A softvit checkpoint in Python: a plain torch.load, then its ViT/DeiT weights into timm.

  softvit_to_timm.py CHECKPOINT TIMM_MODEL [--ema] [--input IN.safetensors --output OUT.safetensors]

softvit's last.pt and best.pt load with torch.load's defaults (weights_only=True): a dict with
"model" (and "ema" when the run kept an EMA) in timm's names, "classes", "config" (the run's YAML),
"epoch", "step" and, in last.pt, "optimizer" (LibTorch's own archive, as a uint8 tensor). The
weights load strictly into the timm model of the same shape, e.g. softvit's deit_tiny into timm's
deit_tiny_patch16_224. With --input, the eval-mode logits of IN's "input" tensor go to OUT as
"logits" (tests/train/test_checkpoint_python.cpp compares them with softvit's).
"""
import argparse

import timm
import torch


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint")
    parser.add_argument("timm_model")
    parser.add_argument("--ema", action="store_true", help="the EMA weights instead of the model's")
    parser.add_argument("--input")
    parser.add_argument("--output")
    args = parser.parse_args()

    checkpoint = torch.load(args.checkpoint)  # weights_only=True: PyTorch's default
    model = timm.create_model(args.timm_model, pretrained=False, num_classes=len(checkpoint["classes"]))
    model.load_state_dict(checkpoint["ema" if args.ema else "model"])  # strict
    model.eval()
    print(f"{args.checkpoint}: softvit {checkpoint['model_name']} (epoch {checkpoint['epoch']}) "
          f"as timm {args.timm_model}, classes {checkpoint['classes']}")
    if args.input:
        from safetensors.torch import load_file, save_file

        with torch.no_grad():
            logits = model(load_file(args.input)["input"])
        save_file({"logits": logits.contiguous()}, args.output)


if __name__ == "__main__":
    main()
