// CUDA launches of the fused LayerNorm (see layer_norm.h for the math).
//
// A warp owns a row: lane l holds elements l, l + 32, ... (kPerLane of them, the smallest of 1, 2,
// 4, 8, 16, 32 that covers C), so each load or store of the warp is one contiguous run; elements
// at or beyond C are predicated off. Blocks of 8 warps. Forward: one row per warp. Backward: a
// grid of at most 64 warps per SM, each looping over rows, keeping its dgamma / dbeta sums in
// registers; each warp writes its two partial rows to a W x 2 x C fp32 buffer that ATen sums (no
// atomics: the result does not depend on scheduling).
#include <ATen/core/Tensor.h>
#include <ATen/cuda/CUDAContext.h>
#include <ATen/ops/empty.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <c10/util/BFloat16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "kernels/layer_norm.h"
#include "kernels/output_poison.h"

namespace softvit::kernels {
namespace {

constexpr int kWarps = 8;
constexpr int kThreads = 32 * kWarps;
constexpr int kMinRowsPerWarp = 8;  // backward: below this the partial rows cost more than they save
constexpr int kMaxWarpsPerSm = 64;  // backward grid: one full wave
constexpr const char* kWhat = "fused layer norm";

__device__ __forceinline__ float to_float(float x) { return x; }
__device__ __forceinline__ float to_float(c10::BFloat16 x) { return static_cast<float>(x); }
template <typename T>
__device__ __forceinline__ T from_float(float x) {
  return static_cast<T>(x);  // bf16: round to nearest even
}

__device__ __forceinline__ float warp_sum(float x) {
#pragma unroll
  for (int mask = 16; mask > 0; mask /= 2) x += __shfl_xor_sync(0xffffffffu, x, mask);
  return x;
}

template <typename Tin, typename Tout, int kPerLane>
__global__ void __launch_bounds__(kThreads)
    layer_norm_forward_kernel(const Tin* __restrict__ x, const float* __restrict__ weight,
                              const float* __restrict__ bias, Tout* __restrict__ y,
                              float* __restrict__ mean_out, float* __restrict__ rstd_out, int64_t rows, int C,
                              float eps) {
  const int lane = threadIdx.x % 32;
  const int64_t row = static_cast<int64_t>(blockIdx.x) * kWarps + threadIdx.x / 32;
  if (row >= rows) return;  // whole warps leave: the shuffles below see all 32 lanes
  const Tin* xr = x + row * C;
  float v[kPerLane];
  float sum = 0.f;
#pragma unroll
  for (int i = 0; i < kPerLane; ++i) {
    const int c = lane + 32 * i;
    v[i] = c < C ? to_float(xr[c]) : 0.f;
    sum += v[i];
  }
  const float mean = warp_sum(sum) / C;
  float squares = 0.f;
#pragma unroll
  for (int i = 0; i < kPerLane; ++i) {
    const float d = lane + 32 * i < C ? v[i] - mean : 0.f;
    squares = fmaf(d, d, squares);
  }
  const float rstd = rsqrtf(warp_sum(squares) / C + eps);
  Tout* yr = y + row * C;
#pragma unroll
  for (int i = 0; i < kPerLane; ++i) {
    const int c = lane + 32 * i;
    if (c < C) yr[c] = from_float<Tout>(fmaf((v[i] - mean) * rstd, weight[c], bias[c]));
  }
  if (lane == 0) {
    mean_out[row] = mean;
    rstd_out[row] = rstd;
  }
}

template <typename Tx, typename Tg, int kPerLane>
__global__ void __launch_bounds__(kThreads)
    layer_norm_backward_kernel(const Tg* __restrict__ dy, const Tx* __restrict__ x,
                               const float* __restrict__ mean, const float* __restrict__ rstd,
                               const float* __restrict__ weight, Tx* __restrict__ dx,
                               float* __restrict__ partial, int64_t rows, int C) {
  const int lane = threadIdx.x % 32;
  const int64_t warp = static_cast<int64_t>(blockIdx.x) * kWarps + threadIdx.x / 32;
  const int64_t warps = static_cast<int64_t>(gridDim.x) * kWarps;
  float w[kPerLane], dgamma[kPerLane], dbeta[kPerLane];
#pragma unroll
  for (int i = 0; i < kPerLane; ++i) {
    const int c = lane + 32 * i;
    w[i] = c < C ? weight[c] : 0.f;
    dgamma[i] = dbeta[i] = 0.f;
  }
  const float inv_c = 1.f / C;
  for (int64_t row = warp; row < rows; row += warps) {
    const Tx* xr = x + row * C;
    const Tg* dyr = dy + row * C;
    const float mu = mean[row], rs = rstd[row];
    float xhat[kPerLane], g[kPerLane];
    float sum_g = 0.f, sum_gx = 0.f;
#pragma unroll
    for (int i = 0; i < kPerLane; ++i) {
      const int c = lane + 32 * i;
      const float d = c < C ? to_float(dyr[c]) : 0.f;
      xhat[i] = c < C ? (to_float(xr[c]) - mu) * rs : 0.f;
      g[i] = d * w[i];
      dgamma[i] = fmaf(d, xhat[i], dgamma[i]);
      dbeta[i] += d;
      sum_g += g[i];
      sum_gx = fmaf(g[i], xhat[i], sum_gx);
    }
    const float mean_g = warp_sum(sum_g) * inv_c, mean_gx = warp_sum(sum_gx) * inv_c;
    Tx* dxr = dx + row * C;
#pragma unroll
    for (int i = 0; i < kPerLane; ++i) {
      const int c = lane + 32 * i;
      if (c < C) dxr[c] = from_float<Tx>(rs * (g[i] - mean_g - xhat[i] * mean_gx));
    }
  }
  float* out = partial + warp * 2 * C;  // every warp writes its row pair, zeros if it had no rows
#pragma unroll
  for (int i = 0; i < kPerLane; ++i) {
    const int c = lane + 32 * i;
    if (c < C) {
      out[c] = dgamma[i];
      out[C + c] = dbeta[i];
    }
  }
}

// Calls f.template operator()<A, B, kPerLane>() for the dtypes of a and b and the lanes' share of C.
template <typename F>
void dispatch(const at::Tensor& a, at::ScalarType b, int64_t C, F&& f) {
  auto with_lanes = [&](auto ta, auto tb) {
    using A = decltype(ta);
    using B = decltype(tb);
    const int64_t per_lane = (C + 31) / 32;
    if (per_lane <= 1) return f.template operator()<A, B, 1>();
    if (per_lane <= 2) return f.template operator()<A, B, 2>();
    if (per_lane <= 4) return f.template operator()<A, B, 4>();
    if (per_lane <= 8) return f.template operator()<A, B, 8>();
    if (per_lane <= 16) return f.template operator()<A, B, 16>();
    return f.template operator()<A, B, 32>();
  };
  auto with_second = [&](auto ta) {
    if (b == at::kBFloat16) return with_lanes(ta, c10::BFloat16{});
    return with_lanes(ta, float{});
  };
  if (a.scalar_type() == at::kBFloat16) return with_second(c10::BFloat16{});
  return with_second(float{});
}

struct ForwardLaunch {
  const at::Tensor &x, &weight, &bias, &y, &mean, &rstd;
  int64_t rows, C;
  double eps;
  template <typename Tin, typename Tout, int kPerLane>
  void operator()() const {
    const auto blocks = static_cast<unsigned>((rows + kWarps - 1) / kWarps);
    layer_norm_forward_kernel<Tin, Tout, kPerLane>
        <<<blocks, kThreads, 0, c10::cuda::getCurrentCUDAStream()>>>(
            x.data_ptr<Tin>(), weight.data_ptr<float>(), bias.data_ptr<float>(), y.data_ptr<Tout>(),
            mean.data_ptr<float>(), rstd.data_ptr<float>(), rows, static_cast<int>(C),
            static_cast<float>(eps));
  }
};

struct BackwardLaunch {
  const at::Tensor &dy, &x, mean, rstd, &weight, &dx, &partial;
  int64_t rows, C, blocks;
  template <typename Tx, typename Tg, int kPerLane>
  void operator()() const {
    layer_norm_backward_kernel<Tx, Tg, kPerLane>
        <<<static_cast<unsigned>(blocks), kThreads, 0, c10::cuda::getCurrentCUDAStream()>>>(
            dy.data_ptr<Tg>(), x.data_ptr<Tx>(), mean.data_ptr<float>(), rstd.data_ptr<float>(),
            weight.data_ptr<float>(), dx.data_ptr<Tx>(), partial.data_ptr<float>(), rows,
            static_cast<int>(C));
  }
};

int64_t width_of(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) {
  TORCH_CHECK(fused_layer_norm_accepts(x, weight, bias), kWhat, ": unsupported input ", x.sizes(), " ",
              x.scalar_type(), " on ", x.device(),
              " (need CUDA, fp32/bf16, last dim <= ", kMaxFusedLayerNormWidth,
              ", fp32 weight and bias of that size)");
  return x.size(-1);
}

}  // namespace

std::tuple<at::Tensor, at::Tensor, at::Tensor> layer_norm_forward_cuda(const at::Tensor& x_in,
                                                                       const at::Tensor& weight_in,
                                                                       const at::Tensor& bias_in, double eps,
                                                                       at::ScalarType out_dtype) {
  const int64_t C = width_of(x_in, weight_in, bias_in);
  TORCH_CHECK(out_dtype == at::kFloat || out_dtype == at::kBFloat16, kWhat,
              ": output dtype must be fp32 or bf16");
  c10::cuda::CUDAGuard guard(x_in.device());
  const auto x = x_in.contiguous(), weight = weight_in.contiguous(), bias = bias_in.contiguous();
  const int64_t rows = x.numel() / C;
  const auto y = at::empty(x.sizes(), x.options().dtype(out_dtype));
  const auto stats_shape = x.sizes().slice(0, x.dim() - 1);
  const auto mean = at::empty(stats_shape, x.options().dtype(at::kFloat));
  const auto rstd = at::empty(stats_shape, x.options().dtype(at::kFloat));
  maybe_poison(y);
  const int64_t blocks = (rows + kWarps - 1) / kWarps;
  TORCH_CHECK(blocks <= 0x7fffffff, kWhat, ": ", rows, " rows exceed the grid limit");
  dispatch(x, out_dtype, C, ForwardLaunch{x, weight, bias, y, mean, rstd, rows, C, eps});
  C10_CUDA_KERNEL_LAUNCH_CHECK();
  return {y, mean, rstd};
}

std::tuple<at::Tensor, at::Tensor, at::Tensor> layer_norm_backward_cuda(const at::Tensor& grad_out,
                                                                        const at::Tensor& x_in,
                                                                        const at::Tensor& mean,
                                                                        const at::Tensor& rstd,
                                                                        const at::Tensor& weight_in) {
  const int64_t C = x_in.size(-1);
  TORCH_CHECK(grad_out.defined() && grad_out.sizes() == x_in.sizes() && grad_out.device() == x_in.device(),
              kWhat, " backward: gradient has shape ",
              grad_out.defined() ? grad_out.sizes() : at::IntArrayRef{}, ", expected ", x_in.sizes(), " on ",
              x_in.device());
  const int64_t rows = x_in.numel() / C;
  TORCH_CHECK(mean.numel() == rows && rstd.numel() == rows && mean.scalar_type() == at::kFloat &&
                  rstd.scalar_type() == at::kFloat,
              kWhat, " backward: mean and rstd must be fp32 with one value per row");
  c10::cuda::CUDAGuard guard(x_in.device());
  const auto x = x_in.contiguous(), weight = weight_in.contiguous();
  const auto dy =
      grad_out.scalar_type() == at::kBFloat16 ? grad_out.contiguous() : grad_out.to(at::kFloat).contiguous();
  width_of(x, weight, /*bias=*/weight);  // validates x and weight as the forward did
  const auto dx = at::empty(x.sizes(), x.options());
  maybe_poison(dx);
  const int sms = at::cuda::getCurrentDeviceProperties()->multiProcessorCount;
  const int64_t warps_wanted = std::max<int64_t>(1, rows / kMinRowsPerWarp);
  const int64_t blocks =
      std::min<int64_t>((warps_wanted + kWarps - 1) / kWarps, int64_t{sms} * kMaxWarpsPerSm / kWarps);
  const auto partial = at::empty({blocks * kWarps, 2, C}, x.options().dtype(at::kFloat));
  maybe_poison(partial);  // a warp that skipped its partial rows would show as NaN in dgamma / dbeta
  dispatch(x, dy.scalar_type(), C,
           BackwardLaunch{dy, x, mean.contiguous(), rstd.contiguous(), weight, dx, partial, rows, C, blocks});
  C10_CUDA_KERNEL_LAUNCH_CHECK();
  const auto sums = partial.sum(0);  // 2 x C
  return {dx, sums[0], sums[1]};
}

}  // namespace softvit::kernels
