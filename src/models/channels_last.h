// Channels-last (NHWC) memory format for the convolutions of a model: the patch embeddings of
// ViT/DeiT, SOFT's conv stem and stage embeddings, its conv landmark sampler and depthwise local
// conv. On CUDA, cuDNN's bf16 tensor-core kernels work in NHWC; NCHW tensors are transposed around
// each convolution, and a patch embedding's NHWC output flattens into tokens without a copy.
#pragma once
#include <torch/torch.h>

namespace softvit {

// Rewrites every 4-D parameter and buffer of `module` (and a 4-D gradient, if any) as a
// channels-last tensor in place: the tensors keep their identity, so an optimizer made before
// still holds them. Call before the first optimizer step (AdamW's state takes the parameter's
// layout when it is created). Returns how many tensors were converted.
int64_t convert_to_channels_last(torch::nn::Module& module);

// A 4-D batch as channels-last (a copy unless it already is); other tensors unchanged.
torch::Tensor channels_last_input(const torch::Tensor& images);

}  // namespace softvit
