// Depthwise k x k convolution, stride 1, padding k/2, no bias (SOFT's local value path).
#pragma once
#include <torch/torch.h>

namespace softvit {

// input B x C x H x W, weight C x 1 x k x k (odd k): torch::conv2d(input, weight, {}, 1, k / 2, 1, C).
// CUDA inputs in channels-last memory, fp32 or bf16 with odd k <= 11, take the fused kernel
// (kernels/depthwise_conv.h) when this build has it; under CUDA autocast it sees the bf16 input
// and weight conv2d would see. Everything else, and every CPU tensor, takes the reference, as does
// every call when SOFTVIT_FUSED_DEPTHWISE=0 at start-up (the A/B switch of this kernel alone;
// SOFTVIT_FUSED_KERNELS=0 switches off all of them).
torch::Tensor depthwise_conv2d(const torch::Tensor& input, const torch::Tensor& weight);

namespace reference {

// torch::conv2d with groups = C (ATen / cuDNN).
torch::Tensor depthwise_conv2d(const torch::Tensor& input, const torch::Tensor& weight);

}  // namespace reference
}  // namespace softvit
