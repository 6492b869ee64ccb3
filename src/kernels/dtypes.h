// The element types the fused kernels take.
#pragma once
#include <ATen/core/Tensor.h>

namespace softvit::kernels {

inline bool is_fp32_or_bf16(const at::Tensor& t) {
  return t.scalar_type() == at::kFloat || t.scalar_type() == at::kBFloat16;
}

}  // namespace softvit::kernels
