// CUDA launch of the fused Newton-Schulz iteration (see newton_pinv.h for the math).
//
// One block of 256 threads per matrix. P, V and T = V P live in shared memory, zero-padded to
// 64 x 64 (padded rows and columns stay zero through every product), with a row stride of 68
// floats: 16-byte aligned rows, and the two rows a warp reads at once (4 apart) fall 16 banks apart.
// Each thread computes a 4 x 4 block of each 64 x 64 product (rows 4 ty .. 4 ty + 3, columns
// 4 tx .. 4 tx + 3 of a 16 x 16 thread grid), summing over the m live entries only, in fp32 FMAs.
#include <ATen/core/Tensor.h>
#include <ATen/ops/empty.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <cuda_runtime.h>

#include <limits>

#include "kernels/cuda_limits.cuh"
#include "kernels/newton_pinv.h"
#include "kernels/output_poison.h"

namespace softvit::kernels {
namespace {

constexpr int kSize = static_cast<int>(kMaxFusedNewtonSize);  // padded side
constexpr int kStride = kSize + 4;
constexpr int kThreads = 256;  // 16 x 16, a 4 x 4 output block each
constexpr int kMatrixFloats = kSize * kStride;
constexpr size_t kSmemBytes = 3 * kMatrixFloats * sizeof(float);
static_assert(kSize == 64 && kThreads == (kSize / 4) * (kSize / 4),
              "the thread grid covers 64 x 64 in 4 x 4 blocks");

// acc = this thread's 4 x 4 block of x y, over the first m entries of the inner dimension.
__device__ __forceinline__ void multiply(const float* x, const float* y, int m, float (&acc)[4][4]) {
  const int ty = threadIdx.x / 16, tx = threadIdx.x % 16;
#pragma unroll
  for (int a = 0; a < 4; ++a)
#pragma unroll
    for (int b = 0; b < 4; ++b) acc[a][b] = 0.f;
  // A warp covers rows 8 w .. 8 w + 7 (ty = 2 w, 2 w + 1): all padding (zero) when 8 w >= m.
  if (8 * static_cast<int>(threadIdx.x / 32) >= m) return;
#pragma unroll 4
  for (int kk = 0; kk < m; ++kk) {
    const float4 yv = *reinterpret_cast<const float4*>(y + kk * kStride + 4 * tx);
#pragma unroll
    for (int a = 0; a < 4; ++a) {
      const float xv = x[(4 * ty + a) * kStride + kk];
      acc[a][0] = fmaf(xv, yv.x, acc[a][0]);
      acc[a][1] = fmaf(xv, yv.y, acc[a][1]);
      acc[a][2] = fmaf(xv, yv.z, acc[a][2]);
      acc[a][3] = fmaf(xv, yv.w, acc[a][3]);
    }
  }
}

__global__ void __launch_bounds__(kThreads)
    newton_pinv_kernel(const float* __restrict__ a, float* __restrict__ v_out, int m, int iterations,
                       float reg) {
  extern __shared__ float4 smem4[];
  float* p = reinterpret_cast<float*>(smem4);
  float* v = p + kMatrixFloats;
  float* t = v + kMatrixFloats;
  const int64_t offset = static_cast<int64_t>(blockIdx.x) * m * m;
  const float* am = a + offset;

  // P = A + reg I, zero-padded.
  for (int e = threadIdx.x; e < kSize * kSize; e += kThreads) {
    const int r = e / kSize, c = e % kSize;
    float x = (r < m && c < m) ? am[r * m + c] : 0.f;
    if (r == c && r < m) x += reg;
    p[r * kStride + c] = x;
  }
  // max_i sum_j |A_ij| (of A, without the regularisation), by the first warp.
  if (threadIdx.x < 32) {
    float best = 0.f;
    for (int r = threadIdx.x; r < m; r += 32) {
      float s = 0.f;
      for (int c = 0; c < m; ++c) s += fabsf(am[r * m + c]);
      best = fmaxf(best, s);
    }
    for (int lane_mask = 16; lane_mask > 0; lane_mask /= 2)
      best = fmaxf(best, __shfl_xor_sync(0xffffffffu, best, lane_mask));
    if (threadIdx.x == 0) t[0] = best;
  }
  __syncthreads();
  const float alpha = 1.8f / (t[0] * t[0]);
  for (int e = threadIdx.x; e < kSize * kSize; e += kThreads) {
    const int idx = (e / kSize) * kStride + e % kSize;
    v[idx] = alpha * p[idx];
  }
  __syncthreads();  // also: every thread has read t[0] before t is written below

  const int ty = threadIdx.x / 16, tx = threadIdx.x % 16;
  float acc[4][4];
  for (int it = 0; it < iterations; ++it) {
    multiply(v, p, m, acc);  // T = V P
#pragma unroll
    for (int i = 0; i < 4; ++i)
      *reinterpret_cast<float4*>(t + (4 * ty + i) * kStride + 4 * tx) =
          make_float4(acc[i][0], acc[i][1], acc[i][2], acc[i][3]);
    __syncthreads();
    multiply(t, v, m, acc);  // (V P) V
    __syncthreads();         // every read of V is done before it changes
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      float4* row = reinterpret_cast<float4*>(v + (4 * ty + i) * kStride + 4 * tx);
      const float4 old = *row;
      *row = make_float4(2.f * old.x - acc[i][0], 2.f * old.y - acc[i][1], 2.f * old.z - acc[i][2],
                         2.f * old.w - acc[i][3]);
    }
    __syncthreads();
  }

  float* vm = v_out + offset;
  for (int e = threadIdx.x; e < m * m; e += kThreads) vm[e] = v[(e / m) * kStride + e % m];
}

}  // namespace

at::Tensor newton_pinv_cuda(const at::Tensor& a_in, int64_t iterations, double regularization) {
  TORCH_CHECK(fused_newton_accepts(a_in), "fused newton pinv: unsupported input ", a_in.sizes(), " ",
              a_in.scalar_type(), " on ", a_in.device(),
              " (need CUDA, fp32/bf16/fp16, square, side <= ", kMaxFusedNewtonSize, ")");
  TORCH_CHECK(iterations >= 0 && iterations <= std::numeric_limits<int>::max(),
              "fused newton pinv: iterations must be >= 0, got ", iterations);
  c10::cuda::CUDAGuard guard(a_in.device());
  const auto a = a_in.to(at::kFloat).contiguous();
  const int64_t m = a.size(-1), count = a.numel() / (m * m);
  TORCH_CHECK(count <= std::numeric_limits<int32_t>::max(), "fused newton pinv: ", count,
              " matrices exceed the grid limit");
  const auto v = at::empty(a.sizes(), a.options());
  maybe_poison(v);
  TORCH_CHECK(static_cast<int64_t>(kSmemBytes) <= max_shared_memory_per_block(a),
              "fused newton pinv: the device has less than ", kSmemBytes,
              " bytes of shared memory per block");
  C10_CUDA_CHECK(cudaFuncSetAttribute(newton_pinv_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                      static_cast<int>(kSmemBytes)));
  newton_pinv_kernel<<<static_cast<unsigned>(count), kThreads, kSmemBytes,
                       c10::cuda::getCurrentCUDAStream()>>>(a.data_ptr<float>(), v.data_ptr<float>(),
                                                            static_cast<int>(m), static_cast<int>(iterations),
                                                            static_cast<float>(regularization));
  C10_CUDA_KERNEL_LAUNCH_CHECK();
  return v;
}

}  // namespace softvit::kernels
