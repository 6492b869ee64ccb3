// A fully connected layer whose forward is ATen's linear. LibTorch's C++ torch::nn::Linear
// multiplies a 3-D input and then adds the bias in place as a second kernel; under bf16 autocast
// that add reads an fp32 bias broadcast over a bf16 output through ATen's slow mixed-dtype path
// (4.6 ms of a 34 ms DeiT-Tiny step on an H200). at::linear, what PyTorch's nn.Linear calls,
// folds the bias into the matmul and is covered by autocast. Same parameters, names and init.
#pragma once
#include <torch/torch.h>

namespace softvit {

class LinearImpl : public torch::nn::LinearImpl {
 public:
  using torch::nn::LinearImpl::LinearImpl;
  torch::Tensor forward(const torch::Tensor& input) { return at::linear(input, weight, bias); }
};
TORCH_MODULE(Linear);

}  // namespace softvit
