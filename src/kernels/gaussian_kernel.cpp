// Dispatch and the autograd wrapper of the fused Gaussian kernel; the launches are in
// gaussian_kernel.cu (only built with nvcc).
#include "kernels/gaussian_kernel.h"

#include <torch/csrc/autograd/custom_function.h>

#include <atomic>
#include <cstdlib>
#include <string>

#include "kernels/dtypes.h"

namespace softvit::kernels {
namespace {

struct FusedGaussianFunction : torch::autograd::Function<FusedGaussianFunction> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& q, const at::Tensor& k,
                            at::ScalarType out_dtype) {
    auto out = gaussian_forward_cuda(q, k, out_dtype);
    ctx->save_for_backward({q, k, out});
    return out;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    if (!grads[0].defined()) return {at::Tensor(), at::Tensor(), at::Tensor()};
    const auto saved = ctx->get_saved_variables();
    auto [dq, dk] = gaussian_backward_cuda(grads[0], saved[0], saved[1], saved[2]);
    return {dq, dk, at::Tensor()};
  }
};

}  // namespace

bool cuda_kernels_compiled() { return SOFTVIT_HAS_CUDA_KERNELS != 0; }

bool switched_off_by_env(const char* variable) {
  const char* value = std::getenv(variable);
  return value && std::string(value) == "0";
}

namespace {
std::atomic<bool>& enabled_flag() {
  static std::atomic<bool> flag{!switched_off_by_env("SOFTVIT_FUSED_KERNELS")};
  return flag;
}
}  // namespace

bool fused_kernels_enabled() { return cuda_kernels_compiled() && enabled_flag().load(); }
void set_fused_kernels_enabled(bool enabled) { enabled_flag() = enabled; }

bool gaussian_shapes_fit(at::IntArrayRef q, at::IntArrayRef k) {
  if (q.size() < 2 || q.size() != k.size()) return false;
  for (size_t i = 0; i + 2 < q.size(); ++i)
    if (q[i] != k[i] || q[i] == 0) return false;
  const int64_t n = q[q.size() - 2], m = k[k.size() - 2], d = q.back();
  return k.back() == d && d >= 1 && d <= kMaxFusedHeadDim && n >= 1 && m >= 1;
}

bool fused_gaussian_accepts(const at::Tensor& q, const at::Tensor& k) {
  if (!q.defined() || !k.defined() || !q.is_cuda() || !k.is_cuda() || q.device() != k.device()) return false;
  return is_fp32_or_bf16(q) && is_fp32_or_bf16(k) && gaussian_shapes_fit(q.sizes(), k.sizes());
}

bool fused_gaussian_supported(const at::Tensor& q, const at::Tensor& k) {
  return fused_kernels_enabled() && fused_gaussian_accepts(q, k);
}

at::Tensor fused_gaussian_kernel(const at::Tensor& q, const at::Tensor& k, at::ScalarType out_dtype) {
  return FusedGaussianFunction::apply(q, k, out_dtype);
}

#if !SOFTVIT_HAS_CUDA_KERNELS
// CPU-only build: the launches exist so that callers link, and refuse to run.
at::Tensor gaussian_forward_cuda(const at::Tensor&, const at::Tensor&, at::ScalarType) {
  TORCH_CHECK(false, "fused gaussian kernel: this build has no CUDA kernels (no nvcc at configure time)");
}
std::pair<at::Tensor, at::Tensor> gaussian_backward_cuda(const at::Tensor&, const at::Tensor&,
                                                         const at::Tensor&, const at::Tensor&) {
  TORCH_CHECK(false, "fused gaussian kernel: this build has no CUDA kernels (no nvcc at configure time)");
}
#endif

}  // namespace softvit::kernels
