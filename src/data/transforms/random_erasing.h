// timm's RandomErasing (mode "pixel"): with probability p, one box of area uniform in
// [min_area, max_area] of the image and log-uniform aspect ratio in [min_aspect, 1/min_aspect]
// (10 attempts to fit) is filled with per-pixel N(0, 1) noise. It acts on normalised images, so
// the loader plans the box per sample (from the sample's Rng) and fills it after normalising.
#pragma once
#include <torch/torch.h>

#include <vector>

#include "data/rng.h"
#include "data/transforms/transform_spec.h"

namespace softvit {

struct ErasingOptions {
  double p = 0.25;
  double min_area = 0.02, max_area = 1.0 / 3.0;
  double min_aspect = 0.3;
};

struct EraseBox {
  int top = 0, left = 0, height = 0, width = 0;  // height 0: nothing to erase
  torch::Tensor noise;                           // float C x height x width, N(0, 1)
};

// random_erasing(p=0.25, min_area=0.02, max_area=0.333, min_aspect=0.3, mode=pixel)
ErasingOptions parse_random_erasing(const TransformSpec& spec);

// Draws the box and its noise (from a generator seeded by `rng`, so it is reproducible).
EraseBox plan_erase(const ErasingOptions& options, int channels, int height, int width, Rng& rng);

// Copies each sample's noise into its box of `images` (float, B x C x H x W, any device).
void apply_erase(torch::Tensor& images, const std::vector<EraseBox>& boxes);

// Every box's noise, in box order, in one flat float tensor (in pinned memory when `pinned`), so
// that a batch's erasing costs one host-to-device copy. A copy from pageable memory to a GPU first
// waits for all the work queued on the stream (CUDA's API synchronisation rules): a copy per box
// would make the host wait for the previous training step, several times a batch.
torch::Tensor pack_erase_noise(const std::vector<EraseBox>& boxes, bool pinned);

// apply_erase with the boxes' noise as pack_erase_noise packed it, already on the images' device;
// the boxes' own noise tensors are not read (they may be released).
void apply_erase(torch::Tensor& images, const std::vector<EraseBox>& boxes,
                 const torch::Tensor& packed_noise);

}  // namespace softvit
