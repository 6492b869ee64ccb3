"""The alternative to `softvit bench loader`: PyTorch's DataLoader with Pillow and torchvision doing
the same work (JPEG decode, RandomResizedCrop 224, horizontal flip, uint8 CHW tensor, batches of
128 in pinned memory), measured in the same device run (docs/benchmarks.md). With --device cuda each
batch is then copied to the GPU and normalised there, as a training loop does and as softvit's
whole-loader row does (the same output on both sides); the clock stops after a synchronisation.

    python3 scripts/bench_torch_loader.py DIR [--workers 16] [--batch 128] [--images 8000] [--device cuda]
Prints one JSON line.
"""
import argparse
import json
import os
import time

import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms


class Jpegs(Dataset):
    def __init__(self, files, length):
        self.files, self.length = files, length
        self.transform = transforms.Compose([
            transforms.RandomResizedCrop(224),
            transforms.RandomHorizontalFlip(),
            transforms.PILToTensor(),
        ])

    def __len__(self):
        return self.length

    def __getitem__(self, i):
        with Image.open(self.files[i % len(self.files)]) as image:
            return self.transform(image.convert("RGB")), 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dir")
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--images", type=int, default=8000)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    args = parser.parse_args()
    device = torch.device(args.device)
    mean = torch.tensor([0.485, 0.456, 0.406], device=device).view(1, 3, 1, 1) * 255
    std = torch.tensor([0.229, 0.224, 0.225], device=device).view(1, 3, 1, 1) * 255
    files = sorted(os.path.join(root, f) for root, _, names in os.walk(args.dir) for f in names
                   if f.lower().endswith((".jpg", ".jpeg")))
    loader = DataLoader(Jpegs(files, args.images), batch_size=args.batch, shuffle=True,
                        num_workers=args.workers, pin_memory=True, drop_last=True,
                        persistent_workers=True, prefetch_factor=4)
    for _ in range(2):  # the first pass starts the workers; time the second
        start, images = None, 0
        for batch, _ in loader:
            if start is None:  # from the first batch on: worker start-up excluded
                start = time.perf_counter()
                continue
            if device.type == "cuda":
                batch.to(device, non_blocking=True).float().sub_(mean).div_(std)
            images += batch.shape[0]
        if device.type == "cuda":
            torch.cuda.synchronize()
        seconds = time.perf_counter() - start
    print(json.dumps({"pipeline": "torch DataLoader + Pillow + torchvision (decode, RRC 224, hflip, uint8, pinned)"
                      + (", normalised on the GPU" if device.type == "cuda" else ""),
                      "workers": args.workers, "batch": args.batch, "images": images,
                      "img_s": round(images / seconds, 1), "torch": torch.__version__}))


if __name__ == "__main__":
    main()
