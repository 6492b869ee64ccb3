// Dispatch of the fused Newton iteration; the launch is in newton_pinv.cu (only built with nvcc).
#include "kernels/newton_pinv.h"

#include "kernels/gaussian_kernel.h"

namespace softvit::kernels {

bool newton_shape_fits(at::IntArrayRef a) {
  if (a.size() < 2 || a[a.size() - 1] != a[a.size() - 2]) return false;
  for (auto size : a)
    if (size == 0) return false;
  return a.back() <= kMaxFusedNewtonSize;
}

bool fused_newton_accepts(const at::Tensor& a) {
  if (!a.defined() || !a.is_cuda()) return false;
  const auto t = a.scalar_type();
  return (t == at::kFloat || t == at::kBFloat16 || t == at::kHalf) && newton_shape_fits(a.sizes());
}

bool fused_newton_supported(const at::Tensor& a) {
  return fused_kernels_enabled() && fused_newton_accepts(a);
}

#if !SOFTVIT_HAS_CUDA_KERNELS
at::Tensor newton_pinv_cuda(const at::Tensor&, int64_t, double) {
  TORCH_CHECK(false, "fused newton pinv: this build has no CUDA kernels (no nvcc at configure time)");
}
#endif

}  // namespace softvit::kernels
