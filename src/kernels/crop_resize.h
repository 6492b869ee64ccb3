// Crop, resize, flip and normalise a batch of decoded images in one CUDA kernel: the transform of
// the GPU decode path (data/gpu_decode), after nvJPEG. Each output pixel is resampled as torch's
// interpolate does (align_corners false, no antialiasing; bilinear or bicubic with A = -0.75, edge
// pixels repeated), rounded to a uint8 level as the CPU pipeline's uint8 images are, and then
// normalised: (v - 255 mean) / (255 std). The reference is crop_resize_normalise_reference
// (data/gpu_decode/crop_resize_reference.h), ATen ops per image.
#pragma once
#include <ATen/core/Tensor.h>

#include <array>
#include <cstdint>
#include <vector>

namespace softvit::kernels {

enum class Resample : int32_t { bilinear = 0, bicubic = 1 };

// The box of one image to resize to the output size (inside the image), and whether the result is
// mirrored left-right.
struct CropJob {
  int64_t x = 0, y = 0, w = 0, h = 0;
  bool flip = false;
  Resample resample = Resample::bilinear;
};

// images: H x W x 3 uint8 contiguous CUDA tensors, one per job; out: B x 3 x out_h x out_w of dtype
// (fp32 or bf16) on their device, queued on the current stream. Errors on CPU-only builds.
at::Tensor crop_resize_normalise_cuda(const std::vector<at::Tensor>& images, const std::vector<CropJob>& jobs,
                                      int64_t out_h, int64_t out_w, const std::array<float, 3>& mean255,
                                      const std::array<float, 3>& std255, at::ScalarType dtype);

}  // namespace softvit::kernels
