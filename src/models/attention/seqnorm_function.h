// The sequence normalisation of seqnorm attention as one autograd function, its backward in closed
// form. Autograd's own graph of the same formula runs about twenty full-size elementwise kernels per
// normalisation and saves several fp32 copies of the input; this runs ten and saves the input alone.
#pragma once
#include <torch/torch.h>

namespace softvit {

// x: B x heads x N x d_h (any dtype; fp16/bf16 computed in fp32). Statistics per (b, head, channel)
// over the tokens [first_stat_token, N); every token is normalised with them:
//   standardise: y = (x - mean) / sqrt(var + eps) * weight + bias   (biased variance)
//   l2:          y = x / sqrt(mean(x^2) + eps) * weight + bias
// weight, bias: heads x 1 x d_h. Returns y in at least fp32.
torch::Tensor sequence_norm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                            int64_t first_stat_token, bool l2, double eps);

// The same formula left to autograd (ATen ops on an fp32 copy): the reference path, taken when
// SOFTVIT_FUSED_SEQNORM=0 (or SOFTVIT_FUSED_KERNELS=0) at start-up, for A/B runs.
torch::Tensor sequence_norm_by_autograd(const torch::Tensor& x, const torch::Tensor& weight,
                                        const torch::Tensor& bias, int64_t first_stat_token, bool l2,
                                        double eps);

}  // namespace softvit
