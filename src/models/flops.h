// Counts a model's multiply-accumulates (MACs) by running it: a RecordFunction observer sees every
// operator dispatched on this thread and adds the MACs of the ones that carry the arithmetic,
// from their actual input shapes:
//   mm, addmm, bmm, baddbmm, addbmm, mv, addmv, dot    (Linear and matmul end up here)
//   convolution                                         (any Conv, groups and strides included)
//   scaled_dot_product_attention                        (L S (E + Ev) per batch and head)
// An operator nested in one already counted is not counted again. Element-wise work (norms,
// activations, exp, softmax, additions) is left out, as fvcore and the published "FLOPs" of
// SOFT, PVT and DeiT leave it out: those figures are MACs under the name FLOPs.
// MACs inside the softvit::newton_pinv scope are also reported apart, because the published SOFT
// figures leave the Newton iterations out.
#pragma once
#include <functional>

#include "models/model.h"

namespace softvit {

struct MacCount {
  int64_t total = 0;
  int64_t newton = 0;  // part of total spent in the Newton pseudo-inverse
  int64_t without_newton() const { return total - newton; }
};

// Runs fn once and counts what it dispatches on the calling thread.
MacCount count_macs(const std::function<void()>& fn);

// One forward of a 1 x in_chans x img_size x img_size input in eval and inference mode.
MacCount count_model_macs(Model& model, int64_t in_chans, int64_t img_size);

}  // namespace softvit
