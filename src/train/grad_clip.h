// Gradient clipping by global L2 norm without a host synchronisation: the scale factor stays a
// device tensor (torch::nn::utils::clip_grad_norm_ returns the norm as a double, which waits for
// the device and cannot be captured in a CUDA graph).
#pragma once
#include <torch/torch.h>

#include <vector>

namespace softvit {

// Scales the gradients of `parameters` by min(1, max_norm / (norm + 1e-6)), norm being the L2 norm
// of all gradients together (as clip_grad_norm_). Parameters without a gradient are skipped.
// Returns that norm as a 0-dim tensor on the gradients' device (undefined when none has one).
torch::Tensor clip_grad_norm_async(const std::vector<torch::Tensor>& parameters, double max_norm);

}  // namespace softvit
