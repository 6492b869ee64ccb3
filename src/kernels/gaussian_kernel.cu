// CUDA launches of the fused Gaussian kernel (see gaussian_kernel.h for the math).
//
// Layout: one block of kRows threads per (batch, tile of kRows query rows); thread r owns query
// row r of the tile. The landmarks go through shared memory in chunks of up to kChunk, zero-padded
// from d to the compile-time width D (32, 64 or 128), so the inner loops unroll over D and padded
// channels add (0 - 0)^2 = 0. Query rows are read from shared memory with 16-byte loads
// (row stride D + 4 floats: conflict-free per quarter warp); all threads read the same landmark
// row at a time (broadcast). Results are staged in shared memory (row stride kChunk + 1, odd:
// conflict-free column writes) and written out by the block in row-major order, so the global
// writes are coalesced (one contiguous block of rows x m floats when m <= kChunk).
#include <ATen/core/Tensor.h>
#include <ATen/ops/empty.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <c10/util/BFloat16.h>
#include <cuda_runtime.h>

#include <limits>

#include "kernels/cuda_limits.cuh"
#include "kernels/gaussian_kernel.h"
#include "kernels/output_poison.h"

namespace softvit::kernels {
namespace {

constexpr int kRows = 128;  // query rows per block, one per thread
constexpr int kThreads = kRows;
constexpr int kChunk = 64;  // landmarks per shared-memory chunk
constexpr int kTileStride = kChunk + 1;

__device__ __forceinline__ float to_float(float x) { return x; }
__device__ __forceinline__ float to_float(c10::BFloat16 x) { return static_cast<float>(x); }
template <typename T>
__device__ __forceinline__ T from_float(float x) {
  return T(x);  // c10::BFloat16(float) rounds to nearest even
}

template <int D>
constexpr int q_stride() {
  return D + 4;
}

// Shared-memory floats: forward (q rows, then the output staging, in one region) and backward.
template <int D>
constexpr int forward_smem_floats() {
  return (kRows * q_stride<D>() > kRows * kTileStride ? kRows * q_stride<D>() : kRows * kTileStride) +
         kChunk * D;
}
template <int D>
constexpr int backward_smem_floats() {
  return kRows * q_stride<D>() + kChunk * D + kRows * kTileStride;
}

// rows x d query block (contiguous in global memory) -> fp32 rows of stride D + 4, zero-padded.
template <typename T, int D>
__device__ void load_query_tile(const T* __restrict__ qb, int rows, int d, float* tile) {
  for (int e = threadIdx.x; e < kRows * D; e += kThreads) {
    const int r = e / D, c = e % D;
    tile[r * q_stride<D>() + c] = (r < rows && c < d) ? to_float(qb[r * d + c]) : 0.f;
  }
}

// Landmarks j0 .. j0 + mc - 1 (fp32, rows of d) -> rows of D, zero-padded.
template <int D>
__device__ void load_landmark_chunk(const float* __restrict__ kb, int j0, int mc, int d, float* ks) {
  for (int e = threadIdx.x; e < mc * D; e += kThreads) {
    const int j = e / D, c = e % D;
    ks[e] = c < d ? kb[(j0 + j) * d + c] : 0.f;
  }
}

template <typename T, typename OutT, int D>
__global__ void __launch_bounds__(kThreads)
    gaussian_forward_kernel(const T* __restrict__ q, const float* __restrict__ k, OutT* __restrict__ out,
                            int64_t n, int m, int d, int64_t tiles) {
  extern __shared__ float4 smem4[];  // float4: 16-byte aligned
  float* tile = reinterpret_cast<float*>(smem4);
  float* ks = tile + (forward_smem_floats<D>() - kChunk * D);
  const int64_t batch = blockIdx.x / tiles;
  const int64_t row0 = (blockIdx.x % tiles) * kRows;
  const int rows = static_cast<int>(min(static_cast<int64_t>(kRows), n - row0));
  const float* kb = k + batch * m * d;
  OutT* ob = out + (batch * n + row0) * m;
  const int r = threadIdx.x;

  load_query_tile<T, D>(q + (batch * n + row0) * d, rows, d, tile);
  __syncthreads();
  float qr[D];
#pragma unroll
  for (int c = 0; c < D; c += 4) {
    const float4 v = *reinterpret_cast<const float4*>(tile + r * q_stride<D>() + c);
    qr[c] = v.x, qr[c + 1] = v.y, qr[c + 2] = v.z, qr[c + 3] = v.w;
  }
  __syncthreads();  // the tile region now stages outputs

  for (int j0 = 0; j0 < m; j0 += kChunk) {
    const int mc = min(kChunk, m - j0);
    load_landmark_chunk<D>(kb, j0, mc, d, ks);
    __syncthreads();
    for (int j = 0; j < mc; ++j) {
      const float4* kr = reinterpret_cast<const float4*>(ks + j * D);
      float a0 = 0.f, a1 = 0.f, a2 = 0.f, a3 = 0.f;  // four chains for instruction-level parallelism
#pragma unroll
      for (int c4 = 0; c4 < D / 4; ++c4) {
        const float4 kv = kr[c4];
        const float t0 = qr[4 * c4] - kv.x, t1 = qr[4 * c4 + 1] - kv.y;
        const float t2 = qr[4 * c4 + 2] - kv.z, t3 = qr[4 * c4 + 3] - kv.w;
        a0 = fmaf(t0, t0, a0), a1 = fmaf(t1, t1, a1), a2 = fmaf(t2, t2, a2), a3 = fmaf(t3, t3, a3);
      }
      tile[r * kTileStride + j] = expf(-0.5f * ((a0 + a1) + (a2 + a3)));
    }
    __syncthreads();
    for (int e = threadIdx.x; e < rows * mc; e += kThreads) {
      const int rr = e / mc, j = e % mc;
      ob[static_cast<int64_t>(rr) * m + j0 + j] = from_float<OutT>(tile[rr * kTileStride + j]);
    }
    __syncthreads();  // ks and the staging are overwritten by the next chunk
  }
}

// dq rows of this tile (complete), and this tile's share of dk: dk_partial[batch, tile, j, c].
template <typename T, typename OutT, int D>
__global__ void __launch_bounds__(kThreads)
    gaussian_backward_kernel(const OutT* __restrict__ grad_out, const OutT* __restrict__ out,
                             const T* __restrict__ q, const float* __restrict__ k, T* __restrict__ dq,
                             float* __restrict__ dk_partial, int64_t n, int m, int d, int64_t tiles) {
  extern __shared__ float4 smem4[];
  float* qs = reinterpret_cast<float*>(smem4);  // kRows x (D + 4)
  float* ks = qs + kRows * q_stride<D>();       // kChunk x D
  float* g = ks + kChunk * D;                   // kRows x kTileStride: dout * out
  const int64_t batch = blockIdx.x / tiles, tile_index = blockIdx.x % tiles;
  const int64_t row0 = tile_index * kRows;
  const int rows = static_cast<int>(min(static_cast<int64_t>(kRows), n - row0));
  const float* kb = k + batch * m * d;
  const int64_t first = (batch * n + row0) * m;  // offset of this tile in out / grad_out
  const int r = threadIdx.x;

  load_query_tile<T, D>(q + (batch * n + row0) * d, rows, d, qs);
  float acc[D];  // sum_j g_rj k_j for this thread's row
#pragma unroll
  for (int c = 0; c < D; ++c) acc[c] = 0.f;
  float g_row = 0.f;  // sum_j g_rj

  for (int j0 = 0; j0 < m; j0 += kChunk) {
    const int mc = min(kChunk, m - j0);
    load_landmark_chunk<D>(kb, j0, mc, d, ks);
    for (int e = threadIdx.x; e < kRows * mc; e += kThreads) {
      const int rr = e / mc, j = e % mc;
      const int64_t idx = first + static_cast<int64_t>(rr) * m + j0 + j;
      g[rr * kTileStride + j] = rr < rows ? to_float(grad_out[idx]) * to_float(out[idx]) : 0.f;
    }
    __syncthreads();

    for (int j = 0; j < mc; ++j) {
      const float grj = g[r * kTileStride + j];
      const float4* kr = reinterpret_cast<const float4*>(ks + j * D);
      g_row += grj;
#pragma unroll
      for (int c4 = 0; c4 < D / 4; ++c4) {
        const float4 kv = kr[c4];
        acc[4 * c4] = fmaf(grj, kv.x, acc[4 * c4]);
        acc[4 * c4 + 1] = fmaf(grj, kv.y, acc[4 * c4 + 1]);
        acc[4 * c4 + 2] = fmaf(grj, kv.z, acc[4 * c4 + 2]);
        acc[4 * c4 + 3] = fmaf(grj, kv.w, acc[4 * c4 + 3]);
      }
    }

    // dk_j = sum_r g_rj q_r - k_j sum_r g_rj over this tile's rows; 4 channels per item.
    for (int item = threadIdx.x; item < mc * (D / 4); item += kThreads) {
      const int j = item / (D / 4), c = 4 * (item % (D / 4));
      float s0 = 0.f, s1 = 0.f, s2 = 0.f, s3 = 0.f, g_col = 0.f;
      for (int rr = 0; rr < rows; ++rr) {
        const float grj = g[rr * kTileStride + j];
        const float4 qv = *reinterpret_cast<const float4*>(qs + rr * q_stride<D>() + c);
        g_col += grj;
        s0 = fmaf(grj, qv.x, s0), s1 = fmaf(grj, qv.y, s1), s2 = fmaf(grj, qv.z, s2),
        s3 = fmaf(grj, qv.w, s3);
      }
      const float4 kv = *reinterpret_cast<const float4*>(ks + j * D + c);
      float* dst = dk_partial + ((batch * tiles + tile_index) * m + j0 + j) * d + c;
      if (c < d) dst[0] = s0 - kv.x * g_col;
      if (c + 1 < d) dst[1] = s1 - kv.y * g_col;
      if (c + 2 < d) dst[2] = s2 - kv.z * g_col;
      if (c + 3 < d) dst[3] = s3 - kv.w * g_col;
    }
    __syncthreads();  // ks and g are overwritten by the next chunk
  }

  // dq_r = acc - q_r * g_row, staged in this thread's own row of qs, then written coalesced.
#pragma unroll
  for (int c = 0; c < D; ++c) qs[r * q_stride<D>() + c] = acc[c] - qs[r * q_stride<D>() + c] * g_row;
  __syncthreads();
  T* dqb = dq + (batch * n + row0) * d;
  for (int e = threadIdx.x; e < rows * d; e += kThreads)
    dqb[e] = from_float<T>(qs[(e / d) * q_stride<D>() + e % d]);
}

struct Dims {
  int64_t batch, n, m, d, tiles;
};

Dims check_and_measure(const at::Tensor& q, const at::Tensor& k) {
  TORCH_CHECK(fused_gaussian_accepts(q, k), "fused gaussian kernel: unsupported inputs q ", q.sizes(), " ",
              q.scalar_type(), " on ", q.device(), ", k ", k.sizes(), " ", k.scalar_type(), " on ",
              k.device(), " (need CUDA, fp32/bf16, equal leading dims, 1 <= d <= ", kMaxFusedHeadDim, ")");
  Dims s;
  s.n = q.size(-2), s.d = q.size(-1), s.m = k.size(-2);
  s.batch = q.numel() / (s.n * s.d);
  s.tiles = (s.n + kRows - 1) / kRows;
  TORCH_CHECK(s.batch * s.tiles <= std::numeric_limits<int32_t>::max(), "fused gaussian kernel: ", s.batch,
              " x ", s.tiles, " blocks exceed the grid limit");
  TORCH_CHECK(s.m <= std::numeric_limits<int32_t>::max() / kMaxFusedHeadDim,
              "fused gaussian kernel: too many landmarks: ", s.m);
  return s;
}

template <typename T, typename OutT, int D>
void launch_forward(const at::Tensor& q, const at::Tensor& k, const at::Tensor& out, const Dims& s) {
  const size_t bytes = forward_smem_floats<D>() * sizeof(float);
  allow_shared_memory(gaussian_forward_kernel<T, OutT, D>, bytes, q, "fused gaussian kernel");
  gaussian_forward_kernel<T, OutT, D>
      <<<static_cast<unsigned>(s.batch * s.tiles), kThreads, bytes, c10::cuda::getCurrentCUDAStream()>>>(
          q.data_ptr<T>(), k.data_ptr<float>(), out.data_ptr<OutT>(), s.n, static_cast<int>(s.m),
          static_cast<int>(s.d), s.tiles);
  C10_CUDA_KERNEL_LAUNCH_CHECK();
}

template <typename T, typename OutT, int D>
void launch_backward(const at::Tensor& grad_out, const at::Tensor& out, const at::Tensor& q,
                     const at::Tensor& k, const at::Tensor& dq, const at::Tensor& dk_partial, const Dims& s) {
  const size_t bytes = backward_smem_floats<D>() * sizeof(float);
  allow_shared_memory(gaussian_backward_kernel<T, OutT, D>, bytes, q, "fused gaussian kernel");
  gaussian_backward_kernel<T, OutT, D>
      <<<static_cast<unsigned>(s.batch * s.tiles), kThreads, bytes, c10::cuda::getCurrentCUDAStream()>>>(
          grad_out.data_ptr<OutT>(), out.data_ptr<OutT>(), q.data_ptr<T>(), k.data_ptr<float>(),
          dq.data_ptr<T>(), dk_partial.data_ptr<float>(), s.n, static_cast<int>(s.m), static_cast<int>(s.d),
          s.tiles);
  C10_CUDA_KERNEL_LAUNCH_CHECK();
}

// Launchers for dispatch(): local classes cannot have member templates.
struct ForwardLaunch {
  const at::Tensor &q, &k, &out;
  const Dims& s;
  template <typename T, typename OutT, int D>
  void operator()() const {
    launch_forward<T, OutT, D>(q, k, out, s);
  }
};
struct BackwardLaunch {
  const at::Tensor &grad_out, &out, &q, &k, &dq, &dk_partial;
  const Dims& s;
  template <typename T, typename OutT, int D>
  void operator()() const {
    launch_backward<T, OutT, D>(grad_out, out, q, k, dq, dk_partial, s);
  }
};

// Calls f.template operator()<T, OutT, D>() for q's dtype, the output's dtype and the padded
// width D >= d.
template <typename T, typename OutT, typename F>
void dispatch_width(int64_t d, F&& f) {
  if (d <= 32) {
    f.template operator()<T, OutT, 32>();
  } else if (d <= 64) {
    f.template operator()<T, OutT, 64>();
  } else {
    f.template operator()<T, OutT, 128>();
  }
}

template <typename F>
void dispatch(at::ScalarType q_type, at::ScalarType out_type, int64_t d, F&& f) {
  const bool q_bf16 = q_type == at::kBFloat16, out_bf16 = out_type == at::kBFloat16;
  if (q_bf16 && out_bf16) dispatch_width<c10::BFloat16, c10::BFloat16>(d, f);
  if (q_bf16 && !out_bf16) dispatch_width<c10::BFloat16, float>(d, f);
  if (!q_bf16 && out_bf16) dispatch_width<float, c10::BFloat16>(d, f);
  if (!q_bf16 && !out_bf16) dispatch_width<float, float>(d, f);
}

}  // namespace

at::Tensor gaussian_forward_cuda(const at::Tensor& q_in, const at::Tensor& k_in, at::ScalarType out_dtype) {
  const Dims s = check_and_measure(q_in, k_in);
  TORCH_CHECK(out_dtype == at::kFloat || out_dtype == at::kBFloat16,
              "fused gaussian kernel: the output is fp32 or bf16, not ", out_dtype);
  c10::cuda::CUDAGuard guard(q_in.device());
  const auto q = q_in.contiguous();
  const auto k = k_in.to(at::kFloat).contiguous();
  auto sizes = q.sizes().vec();
  sizes.back() = s.m;
  const auto out = at::empty(sizes, q.options().dtype(out_dtype));
  maybe_poison(out);
  dispatch(q.scalar_type(), out_dtype, s.d, ForwardLaunch{q, k, out, s});
  return out;
}

std::pair<at::Tensor, at::Tensor> gaussian_backward_cuda(const at::Tensor& grad_out_in,
                                                         const at::Tensor& q_in, const at::Tensor& k_in,
                                                         const at::Tensor& out_in) {
  const Dims s = check_and_measure(q_in, k_in);
  auto out_sizes = q_in.sizes().vec();
  out_sizes.back() = s.m;
  TORCH_CHECK(out_in.sizes() == at::IntArrayRef(out_sizes) &&
                  (out_in.scalar_type() == at::kFloat || out_in.scalar_type() == at::kBFloat16) &&
                  out_in.device() == q_in.device(),
              "fused gaussian backward: saved output has shape ", out_in.sizes(), " ", out_in.scalar_type(),
              " on ", out_in.device(), ", expected ", at::IntArrayRef(out_sizes), " fp32 or bf16 on ",
              q_in.device());
  TORCH_CHECK(grad_out_in.sizes() == out_in.sizes() && grad_out_in.device() == q_in.device(),
              "fused gaussian backward: gradient has shape ", grad_out_in.sizes(), " on ",
              grad_out_in.device(), ", expected ", out_in.sizes(), " on ", q_in.device());
  c10::cuda::CUDAGuard guard(q_in.device());
  const auto q = q_in.contiguous();
  const auto k = k_in.to(at::kFloat).contiguous();
  const auto out = out_in.contiguous();
  // In the output's dtype: a bf16 output gets bf16 gradients from the matmuls that consume it.
  const auto grad_out = grad_out_in.to(out.scalar_type()).contiguous();
  const auto dq = at::empty(q.sizes(), q.options());
  const auto dk_partial = at::empty({s.batch, s.tiles, s.m, s.d}, q.options().dtype(at::kFloat));
  maybe_poison(dq);
  maybe_poison(dk_partial);
  dispatch(q.scalar_type(), out.scalar_type(), s.d, BackwardLaunch{grad_out, out, q, k, dq, dk_partial, s});
  auto dk = dk_partial.sum(1).view(k_in.sizes()).to(k_in.scalar_type());
  return {dq, dk};
}

}  // namespace softvit::kernels
