#include "data/gpu_decode/crop_resize_reference.h"

namespace softvit {

torch::Tensor crop_resize_normalise_reference(const std::vector<torch::Tensor>& images,
                                              const std::vector<kernels::CropJob>& jobs, int64_t out_h,
                                              int64_t out_w, const std::array<float, 3>& mean255,
                                              const std::array<float, 3>& std255, torch::ScalarType dtype) {
  namespace F = torch::nn::functional;
  TORCH_CHECK(images.size() == jobs.size() && !images.empty(), "crop_resize_normalise: one job per image");
  std::vector<torch::Tensor> out;
  for (size_t b = 0; b < images.size(); ++b) {
    const auto& j = jobs[b];
    const auto box = images[b].narrow(0, j.y, j.h).narrow(1, j.x, j.w).permute({2, 0, 1}).unsqueeze(0);
    auto options = F::InterpolateFuncOptions().size(std::vector<int64_t>{out_h, out_w}).align_corners(false);
    if (j.resample == kernels::Resample::bicubic)
      options.mode(torch::kBicubic);
    else
      options.mode(torch::kBilinear);
    auto resized = F::interpolate(box.to(torch::kFloat), options).round().clamp(0, 255);
    out.push_back(j.flip ? resized.flip({3}) : resized);
  }
  const auto f32 = torch::TensorOptions().dtype(torch::kFloat).device(images[0].device());
  const auto mean = torch::tensor({mean255[0], mean255[1], mean255[2]}, f32).view({1, 3, 1, 1});
  const auto std = torch::tensor({std255[0], std255[1], std255[2]}, f32).view({1, 3, 1, 1});
  return ((torch::cat(out) - mean) / std).to(dtype);
}

}  // namespace softvit
