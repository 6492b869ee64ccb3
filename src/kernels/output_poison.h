// A check switch for the fused kernels: when on, every buffer a kernel launcher allocates for its
// outputs is filled with NaN before the kernel runs, so an element the kernel fails to write shows
// up as NaN in the result (`softvit check kernels` turns it on for its accuracy pass). Off by
// default: the fill costs a full write of each output.
#pragma once
#include <ATen/core/Tensor.h>

namespace softvit::kernels {

void set_poison_outputs(bool on);
bool poison_outputs();

// Fills `t` with NaN when poisoning is on; returns it.
const at::Tensor& maybe_poison(const at::Tensor& t);

}  // namespace softvit::kernels
