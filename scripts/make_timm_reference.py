#!/usr/bin/env python3
"""timm's side of softvit's weights check (tests/models/test_timm_weights.cpp).

  make_timm_reference.py reference OUT_DIR
      Builds timm's deit_tiny_patch16_224 with pretrained=False (nothing is downloaded) from a
      fixed seed and perturbs every tensor, so that no LayerNorm weight is 1 and no bias is 0 (a
      loader that dropped them would show). Writes into OUT_DIR:
        weights.safetensors  timm's state_dict
        io.safetensors       "input" (2x3x224x224, float32) and timm's eval-mode logits of it,
                             "logits_f32" (float32 model) and "logits_f64" (the model in float64)
        nested.pt            torch.save({"epoch": 3, "model": {"module." + name: tensor}}), the
                             layout of a DataParallel training checkpoint
        pickled.pth          the same with an argparse.Namespace beside the weights, as the SOFT
                             reference release saves them: only Python can read it
  make_timm_reference.py logits WEIGHTS INPUT OUTPUT
      Loads WEIGHTS (safetensors, e.g. exported by softvit) into timm's deit_tiny_patch16_224 with
      load_state_dict(strict=True), and writes the eval-mode logits of INPUT's "input" tensor to
      OUTPUT as "logits_f32" and "logits_f64".

Runs on the CPU, in the python that scripts/setup.sh sets up (timm and safetensors installed).
"""
import argparse
import os

import timm
import torch
from safetensors.torch import load_file, save_file

MODEL = "deit_tiny_patch16_224"
SEED = 20240601


def eval_logits(model, images):
    model.eval()
    with torch.no_grad():
        f32 = model.float()(images.float())
        f64 = model.double()(images.double())
    model.float()
    return {"logits_f32": f32.contiguous(), "logits_f64": f64.contiguous()}


def make_reference(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(SEED)
    model = timm.create_model(MODEL, pretrained=False)
    with torch.no_grad():
        for tensor in model.state_dict().values():
            tensor.add_(0.05 * torch.randn_like(tensor))
    state = {name: tensor.contiguous() for name, tensor in model.state_dict().items()}
    save_file(state, os.path.join(out_dir, "weights.safetensors"), metadata={"format": "pt", "model": MODEL})
    images = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(SEED + 1))
    save_file({"input": images, **eval_logits(model, images)}, os.path.join(out_dir, "io.safetensors"))
    nested = {"epoch": 3, "model": {"module." + name: tensor.clone() for name, tensor in state.items()}}
    torch.save(nested, os.path.join(out_dir, "nested.pt"))
    torch.save({"args": argparse.Namespace(model=MODEL), **nested}, os.path.join(out_dir, "pickled.pth"))


def run_logits(weights, input_file, output):
    model = timm.create_model(MODEL, pretrained=False)
    model.load_state_dict(load_file(weights), strict=True)
    images = load_file(input_file)["input"]
    save_file(eval_logits(model, images), output)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    reference = commands.add_parser("reference", help="timm's weights, an input and timm's logits")
    reference.add_argument("out_dir")
    logits = commands.add_parser("logits", help="timm's logits with the given weights")
    logits.add_argument("weights")
    logits.add_argument("input")
    logits.add_argument("output")
    args = parser.parse_args()
    torch.set_num_threads(1)  # the test machine is shared; deit_tiny needs no more
    if args.command == "reference":
        make_reference(args.out_dir)
    else:
        run_logits(args.weights, args.input, args.output)


if __name__ == "__main__":
    main()
