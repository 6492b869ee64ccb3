// Fused CUDA depthwise convolution for SOFT's local value path: out[b, c, h, w] =
// sum_{i,j} x[b, c, h + i - k/2, w + j - k/2] * weight[c, 0, i, j] (cross-correlation, as conv2d),
// stride 1, padding k/2 (zeros), no bias, one k x k filter per channel, odd k from 1 to
// kMaxFusedDepthwiseKernel. cuDNN's grouped kernels took 13.6 ms of a 54 ms SOFT-Tiny step on an
// H200 (9 x 9 filters on 128 x 64 x 56 x 56, channels-last bf16) for a few MB of traffic each way.
//
// Input B x C x H x W in channels-last memory (NHWC), fp32 or bf16; weight C x 1 x k x k, fp32 or
// bf16 (under autocast it arrives in bf16; an fp32 weight with a bf16 input is taken as is).
// Arithmetic in fp32; output and input gradient in the input's dtype (channels-last); the weight
// gradient accumulated in fp32 and returned in the weight's dtype. The input gradient is the same
// convolution of the upstream gradient with the flipped filter (stride 1, padding k/2). Not twice
// differentiable. The reference is torch::conv2d (softvit::reference::depthwise_conv2d in
// models/attention/depthwise_conv.h); models call softvit::depthwise_conv2d, which picks this
// kernel for CUDA inputs that fit.
#pragma once
#include <ATen/core/Tensor.h>

#include <utility>

namespace softvit::kernels {

constexpr int64_t kMaxFusedDepthwiseKernel = 11;

// input B x C x H x W and weight C x 1 x k x k with B, C, H, W >= 1 and odd 1 <= k <= 11.
bool depthwise_shapes_fit(at::IntArrayRef input, at::IntArrayRef weight);

// True when the launches below take these inputs as they are: both on the same CUDA device, fp32 or
// bf16, shapes as above, the input contiguous in channels-last memory. CPU tensors always get false.
bool fused_depthwise_accepts(const at::Tensor& input, const at::Tensor& weight);

// fused_kernels_enabled() && fused_depthwise_accepts(...): what softvit::depthwise_conv2d asks.
bool fused_depthwise_supported(const at::Tensor& input, const at::Tensor& weight);

// The fused convolution as an autograd function (differentiable in input and weight). Requires
// fused_depthwise_accepts(input, weight).
at::Tensor fused_depthwise_conv2d(const at::Tensor& input, const at::Tensor& weight);

// The raw launches behind it (no autograd), for the checks. Errors on CPU-only builds. Inputs in
// another memory format are copied to channels-last first.
at::Tensor depthwise_conv2d_forward_cuda(const at::Tensor& input, const at::Tensor& weight);
// Returns (grad_input, grad_weight); each left undefined when not asked for.
std::pair<at::Tensor, at::Tensor> depthwise_conv2d_backward_cuda(const at::Tensor& grad_out,
                                                                 const at::Tensor& input,
                                                                 const at::Tensor& weight,
                                                                 bool input_grad = true,
                                                                 bool weight_grad = true);

}  // namespace softvit::kernels
