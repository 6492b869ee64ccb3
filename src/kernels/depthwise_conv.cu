// CUDA launches of the fused depthwise convolution (see depthwise_conv.h for the math).
//
// Layout (NHWC): a block owns kLanes = 32 consecutive channels (one per lane of each warp, so every
// global access of a warp is one contiguous run of channels) and a kTileH x kTileW tile of output
// pixels of one image. The input tile plus its k/2 halo is staged in shared memory in fp32 as
// [row][col][lane] (a warp reads 32 consecutive floats: no bank conflicts), loaded with 16-byte
// vectors (8 bf16 or 4 fp32 channels) when C allows, zero outside the image and beyond C.
//   forward: warp r computes output row r of the tile, kTileW pixels per thread in registers; per
//     filter row it reads kTileW + k - 1 inputs once and does kTileW x k FMAs.
//   input gradient: the forward kernel on the upstream gradient with the flipped filter.
//   weight gradient: k warps, warp i owns filter row i (k fp32 sums per thread) over the pixels of
//     the tile in several images, the upstream-gradient tile beside the input tile in shared
//     memory; then one atomicAdd per (channel, tap) per block into an fp32 C x k x k buffer.
#include <ATen/core/Tensor.h>
#include <ATen/cuda/CUDAContext.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/zeros.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <c10/util/BFloat16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "kernels/cuda_limits.cuh"
#include "kernels/depthwise_conv.h"
#include "kernels/output_poison.h"

namespace softvit::kernels {
namespace {

constexpr int kLanes = 32;  // channels per block, one per lane
constexpr int kTileH = 8;   // output rows per block: one warp each in the forward
constexpr int kTileW = 16;  // output columns per block: registers per thread in the forward
constexpr int kForwardThreads = kLanes * kTileH;
constexpr const char* kWhat = "fused depthwise conv";

template <int K>
constexpr int halo_h() {
  return kTileH + K - 1;
}
template <int K>
constexpr int halo_w() {
  return kTileW + K - 1;
}
template <int K>
constexpr int forward_smem_floats() {
  return (halo_h<K>() * halo_w<K>() + K * K) * kLanes;
}
template <int K>
constexpr int weight_grad_smem_floats() {
  return (halo_h<K>() * halo_w<K>() + kTileH * kTileW) * kLanes;
}

__device__ __forceinline__ float to_float(float x) { return x; }
__device__ __forceinline__ float to_float(c10::BFloat16 x) { return static_cast<float>(x); }

// V consecutive channels at `src` (16-byte aligned when V > 1) -> V floats at `dst` (16-byte
// aligned when V > 1; written as float4: fewer shared-memory bank conflicts than scalars).
template <typename T, int V>
__device__ __forceinline__ void load_channels(const T* __restrict__ src, float* dst) {
  if constexpr (V == 1) {
    dst[0] = to_float(src[0]);
  } else if constexpr (std::is_same_v<T, float>) {
    static_assert(V == 4, "fp32 vectors hold 4 channels");
    *reinterpret_cast<float4*>(dst) = *reinterpret_cast<const float4*>(src);
  } else {
    static_assert(V == 8, "bf16 vectors hold 8 channels");
    const uint4 u = *reinterpret_cast<const uint4*>(src);
    // Little endian: the lower channel of each pair is the low half of the 32-bit word.
    auto low = [](unsigned word) { return __uint_as_float(word << 16); };
    auto high = [](unsigned word) { return __uint_as_float(word & 0xffff0000u); };
    reinterpret_cast<float4*>(dst)[0] = make_float4(low(u.x), high(u.x), low(u.y), high(u.y));
    reinterpret_cast<float4*>(dst)[1] = make_float4(low(u.z), high(u.z), low(u.w), high(u.w));
  }
}

template <int V>
__device__ __forceinline__ void store_zeros(float* dst) {
  if constexpr (V == 1) {
    dst[0] = 0.f;
  } else {
#pragma unroll
    for (int k = 0; k < V; k += 4) reinterpret_cast<float4*>(dst)[k / 4] = make_float4(0.f, 0.f, 0.f, 0.f);
  }
}

// Pixels (h_first + row, w_first + col), row < rows, col < cols, channels c0 .. c0 + kLanes - 1 of
// one H x W x C image -> tile[(row * cols + col) * kLanes + lane] in fp32; zero outside the image
// and for channels >= C. With V > 1, C is a multiple of V, so a vector lies wholly below C or not.
template <typename T, int V>
__device__ void load_tile(const T* __restrict__ image, int H, int W, int C, int h_first, int w_first,
                          int rows, int cols, int c0, float* tile) {
  constexpr int kVectors = kLanes / V;
  const int count = rows * cols * kVectors;
  for (int e = threadIdx.x; e < count; e += blockDim.x) {
    const int pixel = e / kVectors, v = e % kVectors;
    const int h = h_first + pixel / cols, w = w_first + pixel % cols, c = c0 + v * V;
    float* dst = tile + pixel * kLanes + v * V;
    if (h >= 0 && h < H && w >= 0 && w < W && c < C) {
      load_channels<T, V>(image + (static_cast<int64_t>(h) * W + w) * C + c, dst);
    } else {
      store_zeros<V>(dst);
    }
  }
}

// Block index -> (image or image group, tile row, tile column, channel chunk), chunk fastest.
struct BlockPlace {
  int64_t outer;
  int h0, w0, c0;
};
__device__ __forceinline__ BlockPlace place_block(int tiles_h, int tiles_w, int chunks) {
  int64_t index = blockIdx.x;
  BlockPlace p;
  p.c0 = static_cast<int>(index % chunks) * kLanes;
  index /= chunks;
  p.w0 = static_cast<int>(index % tiles_w) * kTileW;
  index /= tiles_w;
  p.h0 = static_cast<int>(index % tiles_h) * kTileH;
  p.outer = index / tiles_h;
  return p;
}

// out = depthwise conv of x with `weight` (fp32, C x K x K), both NHWC in T.
template <typename T, int K, int V>
__global__ void __launch_bounds__(kForwardThreads)
    depthwise_forward_kernel(const T* __restrict__ x, const float* __restrict__ weight, T* __restrict__ out,
                             int H, int W, int C, int tiles_h, int tiles_w, int chunks) {
  extern __shared__ float4 smem4[];                         // float4: 16-byte aligned
  float* tile = reinterpret_cast<float*>(smem4);            // halo_h x halo_w x kLanes
  float* taps = tile + halo_h<K>() * halo_w<K>() * kLanes;  // K * K x kLanes
  constexpr int pad = K / 2;
  const BlockPlace p = place_block(tiles_h, tiles_w, chunks);
  const int64_t image_offset = p.outer * H * W * C;
  const int lane = threadIdx.x % kLanes, row = threadIdx.x / kLanes;

  load_tile<T, V>(x + image_offset, H, W, C, p.h0 - pad, p.w0 - pad, halo_h<K>(), halo_w<K>(), p.c0, tile);
  for (int e = threadIdx.x; e < K * K * kLanes; e += blockDim.x) {
    const int tap = e / kLanes, c = p.c0 + e % kLanes;
    taps[e] = c < C ? weight[static_cast<int64_t>(c) * K * K + tap] : 0.f;
  }
  __syncthreads();

  float acc[kTileW];
#pragma unroll
  for (int col = 0; col < kTileW; ++col) acc[col] = 0.f;
#pragma unroll 1  // unrolled, the filter rows' loads are all hoisted: 250+ registers, spills at k = 11
  for (int i = 0; i < K; ++i) {
    float in[halo_w<K>()];
#pragma unroll
    for (int col = 0; col < halo_w<K>(); ++col)
      in[col] = tile[((row + i) * halo_w<K>() + col) * kLanes + lane];
#pragma unroll
    for (int j = 0; j < K; ++j) {
      const float w = taps[(i * K + j) * kLanes + lane];
#pragma unroll
      for (int col = 0; col < kTileW; ++col) acc[col] = fmaf(in[col + j], w, acc[col]);
    }
  }

  const int c = p.c0 + lane, h = p.h0 + row;
  if (c >= C || h >= H) return;  // no __syncthreads() follows
  T* dst = out + image_offset + (static_cast<int64_t>(h) * W + p.w0) * C + c;
#pragma unroll
  for (int col = 0; col < kTileW; ++col)
    if (p.w0 + col < W) dst[static_cast<int64_t>(col) * C] = T(acc[col]);  // T(float): rounds to nearest even
}

// grad_weight[c, i, j] += sum over images b_first .. b_first + per_block - 1 (< B) and this tile's
// pixels of grad_out[b, h, w, c] * x[b, h + i - K/2, w + j - K/2, c]. Warp i owns filter row i.
template <typename T, int K, int V>
__global__ void __launch_bounds__(kLanes* K)
    depthwise_weight_grad_kernel(const T* __restrict__ x, const T* __restrict__ grad_out,
                                 float* __restrict__ grad_weight, int B, int H, int W, int C, int tiles_h,
                                 int tiles_w, int chunks, int per_block) {
  extern __shared__ float4 smem4[];
  float* xs = reinterpret_cast<float*>(smem4);          // halo_h x halo_w x kLanes
  float* gs = xs + halo_h<K>() * halo_w<K>() * kLanes;  // kTileH x kTileW x kLanes
  constexpr int pad = K / 2;
  const BlockPlace p = place_block(tiles_h, tiles_w, chunks);
  const int lane = threadIdx.x % kLanes, i = threadIdx.x / kLanes;
  const int64_t b_first = p.outer * per_block;
  const int64_t b_end = min(b_first + per_block, static_cast<int64_t>(B));

  float acc[K];
#pragma unroll
  for (int j = 0; j < K; ++j) acc[j] = 0.f;
  for (int64_t b = b_first; b < b_end; ++b) {
    const int64_t image_offset = b * H * W * C;
    load_tile<T, V>(x + image_offset, H, W, C, p.h0 - pad, p.w0 - pad, halo_h<K>(), halo_w<K>(), p.c0, xs);
    load_tile<T, V>(grad_out + image_offset, H, W, C, p.h0, p.w0, kTileH, kTileW, p.c0, gs);
    __syncthreads();
    for (int y = 0; y < kTileH; ++y) {
      float g[kTileW], in[halo_w<K>()];
#pragma unroll
      for (int col = 0; col < kTileW; ++col) g[col] = gs[(y * kTileW + col) * kLanes + lane];
#pragma unroll
      for (int col = 0; col < halo_w<K>(); ++col) in[col] = xs[((y + i) * halo_w<K>() + col) * kLanes + lane];
#pragma unroll
      for (int col = 0; col < kTileW; ++col)
#pragma unroll
        for (int j = 0; j < K; ++j) acc[j] = fmaf(g[col], in[col + j], acc[j]);
    }
    __syncthreads();  // xs and gs are overwritten by the next image
  }

  const int c = p.c0 + lane;
  if (c >= C) return;
  float* dst = grad_weight + (static_cast<int64_t>(c) * K + i) * K;
#pragma unroll
  for (int j = 0; j < K; ++j) atomicAdd(dst + j, acc[j]);
}

struct Dims {
  int64_t batch, channels, height, width, k;
  int64_t tiles_h, tiles_w, chunks;
};

// Shapes, dtypes and devices (not the memory format: the launchers copy to channels-last).
Dims check_and_measure(const at::Tensor& input, const at::Tensor& weight) {
  const bool fits = input.defined() && weight.defined() && input.is_cuda() && weight.is_cuda() &&
                    input.device() == weight.device() &&
                    (input.scalar_type() == at::kFloat || input.scalar_type() == at::kBFloat16) &&
                    (weight.scalar_type() == at::kFloat || weight.scalar_type() == at::kBFloat16) &&
                    depthwise_shapes_fit(input.sizes(), weight.sizes());
  TORCH_CHECK(fits, kWhat, ": unsupported inputs ", input.sizes(), " ", input.scalar_type(), " on ",
              input.device(), ", weight ", weight.sizes(), " ", weight.scalar_type(), " on ", weight.device(),
              " (need CUDA, fp32/bf16, input B x C x H x W, weight C x 1 x k x k with odd k <= ",
              kMaxFusedDepthwiseKernel, ")");
  Dims s;
  s.batch = input.size(0), s.channels = input.size(1), s.height = input.size(2), s.width = input.size(3);
  s.k = weight.size(2);
  s.tiles_h = (s.height + kTileH - 1) / kTileH;
  s.tiles_w = (s.width + kTileW - 1) / kTileW;
  s.chunks = (s.channels + kLanes - 1) / kLanes;
  constexpr int64_t int_max = std::numeric_limits<int32_t>::max();
  TORCH_CHECK(s.channels <= int_max && s.height <= int_max && s.width <= int_max && s.batch <= int_max, kWhat,
              ": dimensions beyond 32 bits: ", input.sizes());
  TORCH_CHECK(s.batch * s.tiles_h * s.tiles_w * s.chunks <= int_max, kWhat, ": ", s.batch, " x ", s.tiles_h,
              " x ", s.tiles_w, " x ", s.chunks, " blocks exceed the grid limit");
  return s;
}

// 16-byte vectors of channels when every pixel's run of C channels starts on a 16-byte boundary.
template <typename T>
constexpr int vector_width() {
  return 16 / static_cast<int>(sizeof(T));
}
template <typename T>
bool vectors_fit(const at::Tensor& t, int64_t channels) {
  return channels % vector_width<T>() == 0 && reinterpret_cast<uintptr_t>(t.data_ptr()) % 16 == 0;
}

template <typename T, int K, int V>
void launch_forward(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& out, const Dims& s) {
  const size_t bytes = forward_smem_floats<K>() * sizeof(float);
  allow_shared_memory(depthwise_forward_kernel<T, K, V>, bytes, x, kWhat);
  const auto blocks = static_cast<unsigned>(s.batch * s.tiles_h * s.tiles_w * s.chunks);
  depthwise_forward_kernel<T, K, V><<<blocks, kForwardThreads, bytes, c10::cuda::getCurrentCUDAStream()>>>(
      x.data_ptr<T>(), weight.data_ptr<float>(), out.data_ptr<T>(), static_cast<int>(s.height),
      static_cast<int>(s.width), static_cast<int>(s.channels), static_cast<int>(s.tiles_h),
      static_cast<int>(s.tiles_w), static_cast<int>(s.chunks));
  C10_CUDA_KERNEL_LAUNCH_CHECK();
}

template <typename T, int K, int V>
void launch_weight_grad(const at::Tensor& x, const at::Tensor& grad_out, const at::Tensor& grad_weight,
                        const Dims& s) {
  const size_t bytes = weight_grad_smem_floats<K>() * sizeof(float);
  allow_shared_memory(depthwise_weight_grad_kernel<T, K, V>, bytes, x, kWhat);
  // Images per block: enough blocks to fill the device a few times over, each summing as many
  // images as that allows (fewer blocks, fewer atomics).
  const int64_t spatial = s.tiles_h * s.tiles_w * s.chunks;
  const int64_t target =
      8 * static_cast<int64_t>(at::cuda::getCurrentDeviceProperties()->multiProcessorCount);
  const int64_t groups_wanted = std::min(s.batch, std::max<int64_t>(1, (target + spatial - 1) / spatial));
  const int64_t per_block = (s.batch + groups_wanted - 1) / groups_wanted;
  const int64_t groups = (s.batch + per_block - 1) / per_block;
  const auto blocks = static_cast<unsigned>(groups * spatial);
  depthwise_weight_grad_kernel<T, K, V><<<blocks, kLanes * K, bytes, c10::cuda::getCurrentCUDAStream()>>>(
      x.data_ptr<T>(), grad_out.data_ptr<T>(), grad_weight.data_ptr<float>(), static_cast<int>(s.batch),
      static_cast<int>(s.height), static_cast<int>(s.width), static_cast<int>(s.channels),
      static_cast<int>(s.tiles_h), static_cast<int>(s.tiles_w), static_cast<int>(s.chunks),
      static_cast<int>(per_block));
  C10_CUDA_KERNEL_LAUNCH_CHECK();
}

// Launchers for dispatch(): local classes cannot have member templates.
struct ForwardLaunch {
  const at::Tensor &x, &weight, &out;
  const Dims& s;
  template <typename T, int K, int V>
  void operator()() const {
    launch_forward<T, K, V>(x, weight, out, s);
  }
};
struct WeightGradLaunch {
  const at::Tensor &x, &grad_out, &grad_weight;
  const Dims& s;
  template <typename T, int K, int V>
  void operator()() const {
    launch_weight_grad<T, K, V>(x, grad_out, grad_weight, s);
  }
};

template <typename T, int K, typename F>
void dispatch_vector(bool vectors, F&& f) {
  if (vectors) {
    f.template operator()<T, K, vector_width<T>()>();
  } else {
    f.template operator()<T, K, 1>();
  }
}

// Calls f.template operator()<T, K, V>() for the tensor's dtype T, the filter size K and the
// vector width V (16 bytes of channels, or 1). `t` is the tensor the tiles are loaded from (the
// weight-gradient kernel also loads the upstream gradient, allocated alike and checked too).
template <typename F>
void dispatch(const at::Tensor& t, bool aligned, const Dims& s, F&& f) {
  auto with_type = [&](auto tag) {
    using T = decltype(tag);
    const bool vectors = aligned && vectors_fit<T>(t, s.channels);
    switch (s.k) {
      case 1:
        return dispatch_vector<T, 1>(vectors, f);
      case 3:
        return dispatch_vector<T, 3>(vectors, f);
      case 5:
        return dispatch_vector<T, 5>(vectors, f);
      case 7:
        return dispatch_vector<T, 7>(vectors, f);
      case 9:
        return dispatch_vector<T, 9>(vectors, f);
      case 11:
        return dispatch_vector<T, 11>(vectors, f);
      default:
        TORCH_CHECK(false, kWhat, ": no kernel for filter size ", s.k);
    }
  };
  if (t.scalar_type() == at::kBFloat16) {
    with_type(c10::BFloat16{});
  } else {
    with_type(float{});
  }
}

at::Tensor channels_last(const at::Tensor& t) { return t.contiguous(at::MemoryFormat::ChannelsLast); }

// C x K x K fp32 filters, flipped in both spatial dims for the input gradient.
at::Tensor fp32_filters(const at::Tensor& weight, bool flipped) {
  auto w = weight.to(at::kFloat);
  return (flipped ? w.flip({2, 3}) : w).contiguous();
}

at::Tensor convolve(const at::Tensor& x, const at::Tensor& filters, const Dims& s) {
  const auto out = at::empty(x.sizes(), x.options().memory_format(at::MemoryFormat::ChannelsLast));
  maybe_poison(out);
  dispatch(x, /*aligned=*/true, s, ForwardLaunch{x, filters, out, s});
  return out;
}

}  // namespace

at::Tensor depthwise_conv2d_forward_cuda(const at::Tensor& input, const at::Tensor& weight) {
  const Dims s = check_and_measure(input, weight);
  c10::cuda::CUDAGuard guard(input.device());
  return convolve(channels_last(input), fp32_filters(weight, /*flipped=*/false), s);
}

std::pair<at::Tensor, at::Tensor> depthwise_conv2d_backward_cuda(const at::Tensor& grad_out_in,
                                                                 const at::Tensor& input_in,
                                                                 const at::Tensor& weight, bool input_grad,
                                                                 bool weight_grad) {
  const Dims s = check_and_measure(input_in, weight);
  TORCH_CHECK(grad_out_in.defined() && grad_out_in.sizes() == input_in.sizes() &&
                  grad_out_in.device() == input_in.device(),
              kWhat, " backward: gradient has shape ",
              grad_out_in.defined() ? grad_out_in.sizes() : at::IntArrayRef{}, ", expected ",
              input_in.sizes(), " on ", input_in.device());
  c10::cuda::CUDAGuard guard(input_in.device());
  // In the input's dtype (the output's): both kernels read it like the input.
  const auto grad_out = channels_last(grad_out_in.to(input_in.scalar_type()));
  at::Tensor grad_input, grad_weight;
  if (input_grad) grad_input = convolve(grad_out, fp32_filters(weight, /*flipped=*/true), s);
  if (weight_grad) {
    const auto input = channels_last(input_in);
    const auto sums = at::zeros({s.channels, s.k, s.k}, input.options().dtype(at::kFloat));
    const bool aligned = reinterpret_cast<uintptr_t>(grad_out.data_ptr()) % 16 == 0;
    dispatch(input, aligned, s, WeightGradLaunch{input, grad_out, sums, s});
    grad_weight = sums.view(weight.sizes()).to(weight.scalar_type());
  }
  return {grad_input, grad_weight};
}

}  // namespace softvit::kernels
