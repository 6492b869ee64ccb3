// CUDA launch of crop, resize, flip and normalise (see crop_resize.h). One thread per output pixel
// (all three channels), blockIdx.y the image; each image's box, size, flags and pointer come from a
// small table copied to the device with the batch.
#include <ATen/core/Tensor.h>
#include <ATen/ops/empty.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <c10/util/BFloat16.h>
#include <cuda_runtime.h>

#include "kernels/crop_resize.h"

namespace softvit::kernels {
namespace {

constexpr int kThreads = 256;
constexpr int kFields = 8;  // pointer, image width, box x, y, w, h, flip, resample

struct Norm {
  float mean[3], inv_std[3];
};

__device__ __forceinline__ float cubic1(float x) {  // |x| <= 1, A = -0.75 (torch, OpenCV)
  constexpr float A = -0.75f;
  return ((A + 2.f) * x - (A + 3.f)) * x * x + 1.f;
}
__device__ __forceinline__ float cubic2(float x) {  // 1 < |x| < 2
  constexpr float A = -0.75f;
  return ((A * x - 5.f * A) * x + 8.f * A) * x - 4.f * A;
}

template <typename Out>
__global__ void crop_resize_kernel(const int64_t* __restrict__ table, int out_h, int out_w, Norm norm,
                                   Out* __restrict__ out) {
  const int b = blockIdx.y;
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= out_h * out_w) return;
  const int64_t* t = table + static_cast<int64_t>(b) * kFields;
  const auto* image = reinterpret_cast<const uint8_t*>(t[0]);
  const int width = static_cast<int>(t[1]), bx = static_cast<int>(t[2]), by = static_cast<int>(t[3]);
  const int bw = static_cast<int>(t[4]), bh = static_cast<int>(t[5]);
  const bool flip = t[6] != 0, bicubic = t[7] != 0;
  const int oy = i / out_w, ox_out = i % out_w;
  const int ox = flip ? out_w - 1 - ox_out : ox_out;  // the resampled column this output shows
  const float scale_y = static_cast<float>(bh) / out_h, scale_x = static_cast<float>(bw) / out_w;
  auto at = [&](int r, int c, int ch) {
    return static_cast<float>(image[(static_cast<int64_t>(by + r) * width + (bx + c)) * 3 + ch]);
  };
  float value[3];
  if (!bicubic) {
    const float sy = fmaxf((oy + 0.5f) * scale_y - 0.5f, 0.f), sx = fmaxf((ox + 0.5f) * scale_x - 0.5f, 0.f);
    const int y0 = static_cast<int>(sy), x0 = static_cast<int>(sx);
    const int y1 = y0 + (y0 < bh - 1 ? 1 : 0), x1 = x0 + (x0 < bw - 1 ? 1 : 0);
    const float ly = sy - y0, lx = sx - x0;
#pragma unroll
    for (int ch = 0; ch < 3; ++ch)
      value[ch] = (1.f - ly) * ((1.f - lx) * at(y0, x0, ch) + lx * at(y0, x1, ch)) +
                  ly * ((1.f - lx) * at(y1, x0, ch) + lx * at(y1, x1, ch));
  } else {
    const float sy = (oy + 0.5f) * scale_y - 0.5f, sx = (ox + 0.5f) * scale_x - 0.5f;
    const int iy = static_cast<int>(floorf(sy)), ix = static_cast<int>(floorf(sx));
    const float ty = sy - iy, tx = sx - ix;
    const float wy[4] = {cubic2(ty + 1.f), cubic1(ty), cubic1(1.f - ty), cubic2(2.f - ty)};
    const float wx[4] = {cubic2(tx + 1.f), cubic1(tx), cubic1(1.f - tx), cubic2(2.f - tx)};
    int rows[4], cols[4];
#pragma unroll
    for (int k = 0; k < 4; ++k) {
      rows[k] = min(max(iy - 1 + k, 0), bh - 1);
      cols[k] = min(max(ix - 1 + k, 0), bw - 1);
    }
#pragma unroll
    for (int ch = 0; ch < 3; ++ch) {
      float v = 0.f;
#pragma unroll
      for (int r = 0; r < 4; ++r) {
        float row = 0.f;
#pragma unroll
        for (int c = 0; c < 4; ++c) row += wx[c] * at(rows[r], cols[c], ch);
        v += wy[r] * row;
      }
      value[ch] = v;
    }
  }
  const int64_t plane = static_cast<int64_t>(out_h) * out_w;
#pragma unroll
  for (int ch = 0; ch < 3; ++ch) {
    const float level = fminf(fmaxf(rintf(value[ch]), 0.f), 255.f);  // a uint8 level, as on the CPU
    out[(static_cast<int64_t>(b) * 3 + ch) * plane + i] =
        static_cast<Out>((level - norm.mean[ch]) * norm.inv_std[ch]);
  }
}

}  // namespace

at::Tensor crop_resize_normalise_cuda(const std::vector<at::Tensor>& images, const std::vector<CropJob>& jobs,
                                      int64_t out_h, int64_t out_w, const std::array<float, 3>& mean255,
                                      const std::array<float, 3>& std255, at::ScalarType dtype) {
  TORCH_CHECK(images.size() == jobs.size() && !images.empty(), "crop_resize_normalise: one job per image");
  TORCH_CHECK(dtype == at::kFloat || dtype == at::kBFloat16, "crop_resize_normalise: fp32 or bf16 output");
  TORCH_CHECK(out_h > 0 && out_w > 0 && out_h * out_w < (int64_t{1} << 31),
              "crop_resize_normalise: output size");
  const auto device = images[0].device();
  const c10::cuda::CUDAGuard guard(device);
  std::vector<int64_t> table(jobs.size() * kFields);
  for (size_t b = 0; b < jobs.size(); ++b) {
    const auto& image = images[b];
    const auto& j = jobs[b];
    TORCH_CHECK(image.is_cuda() && image.device() == device && image.scalar_type() == at::kByte &&
                    image.dim() == 3 && image.size(2) == 3 && image.is_contiguous(),
                "crop_resize_normalise: image ", b, " is not a contiguous H x W x 3 uint8 tensor on ",
                device);
    TORCH_CHECK(j.w > 0 && j.h > 0 && j.x >= 0 && j.y >= 0 && j.x + j.w <= image.size(1) &&
                    j.y + j.h <= image.size(0),
                "crop_resize_normalise: box ", b, " (", j.x, ", ", j.y, ", ", j.w, " x ", j.h,
                ") is outside its ", image.size(1), " x ", image.size(0), " image");
    int64_t* t = table.data() + b * kFields;
    t[0] = reinterpret_cast<int64_t>(image.data_ptr<uint8_t>());
    t[1] = image.size(1);
    t[2] = j.x, t[3] = j.y, t[4] = j.w, t[5] = j.h;
    t[6] = j.flip ? 1 : 0;
    t[7] = j.resample == Resample::bicubic ? 1 : 0;
  }
  const auto stream = c10::cuda::getCurrentCUDAStream();
  auto device_table = at::empty({static_cast<int64_t>(table.size())}, images[0].options().dtype(at::kLong));
  // From pageable memory: returns once `table` has been read, so it may go out of scope after.
  C10_CUDA_CHECK(cudaMemcpyAsync(device_table.data_ptr<int64_t>(), table.data(),
                                 table.size() * sizeof(int64_t), cudaMemcpyHostToDevice, stream));
  auto out =
      at::empty({static_cast<int64_t>(jobs.size()), 3, out_h, out_w}, images[0].options().dtype(dtype));
  Norm norm;
  for (int c = 0; c < 3; ++c) norm.mean[c] = mean255[c], norm.inv_std[c] = 1.f / std255[c];
  const dim3 grid(static_cast<unsigned>((out_h * out_w + kThreads - 1) / kThreads),
                  static_cast<unsigned>(jobs.size()));
  if (dtype == at::kFloat)
    crop_resize_kernel<float><<<grid, kThreads, 0, stream>>>(device_table.data_ptr<int64_t>(),
                                                             static_cast<int>(out_h), static_cast<int>(out_w),
                                                             norm, out.data_ptr<float>());
  else
    crop_resize_kernel<c10::BFloat16>
        <<<grid, kThreads, 0, stream>>>(device_table.data_ptr<int64_t>(), static_cast<int>(out_h),
                                        static_cast<int>(out_w), norm, out.data_ptr<c10::BFloat16>());
  C10_CUDA_KERNEL_LAUNCH_CHECK();
  return out;
}

}  // namespace softvit::kernels
