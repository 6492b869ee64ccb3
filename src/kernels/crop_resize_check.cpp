// The check of crop-resize-flip-normalise (crop_resize.cu) for `softvit check kernels`: noise
// images of several sizes (noise, so that a box or sampling position off by a fraction of a pixel
// shows), random boxes that shrink and that enlarge, both flips, bilinear and bicubic, fp32 and bf16
// output, against the ATen reference (data/gpu_decode/crop_resize_reference.h). Both round to a
// uint8 level before normalising, so the bound is one level (float sums in another order can land
// on the other side of a .5) plus, for bf16, its rounding; median times on an ImageNet-like batch.
#include <torch/torch.h>

#include <algorithm>
#include <random>
#include <vector>

#include "core/strings.h"
#include "data/gpu_decode/crop_resize_reference.h"
#include "kernels/check_registry.h"
#include "kernels/check_util.h"
#include "kernels/crop_resize.h"

namespace softvit::kernels::check {
namespace {

const std::array<float, 3> kMean255 = {0.485f * 255, 0.456f * 255, 0.406f * 255};
const std::array<float, 3> kStd255 = {0.229f * 255, 0.224f * 255, 0.225f * 255};

torch::Tensor fused(const Target& target, const std::vector<torch::Tensor>& images,
                    const std::vector<CropJob>& jobs, int64_t out, torch::ScalarType dtype) {
  return target.dry_run ? crop_resize_normalise_reference(images, jobs, out, out, kMean255, kStd255, dtype)
                        : crop_resize_normalise_cuda(images, jobs, out, out, kMean255, kStd255, dtype);
}

void check_case(const std::vector<std::pair<int64_t, int64_t>>& sizes, int64_t out, Resample resample,
                torch::ScalarType dtype, bool timed, const Target& target, std::vector<Row>& rows) {
  std::mt19937 rng(static_cast<unsigned>(out * 7 + sizes.size()));
  std::vector<torch::Tensor> images;
  std::vector<CropJob> jobs;
  for (size_t b = 0; b < sizes.size(); ++b) {
    const auto [h, w] = sizes[b];
    images.push_back(
        torch::randint(0, 256, {h, w, 3}, torch::TensorOptions().dtype(torch::kUInt8).device(target.device)));
    CropJob j;
    j.w = std::uniform_int_distribution<int64_t>(1, w)(rng);
    j.h = std::uniform_int_distribution<int64_t>(1, h)(rng);
    j.x = std::uniform_int_distribution<int64_t>(0, w - j.w)(rng);
    j.y = std::uniform_int_distribution<int64_t>(0, h - j.h)(rng);
    j.flip = b % 2 == 1;
    j.resample = resample;
    jobs.push_back(j);
  }
  const auto ref = crop_resize_normalise_reference(images, jobs, out, out, kMean255, kStd255, torch::kFloat);
  const auto got = fused(target, images, jobs, out, dtype);
  target.synchronize();
  const double level = 1.0 / *std::min_element(kStd255.begin(), kStd255.end());
  const double bound = 1.001 * level + (dtype == torch::kBFloat16 ? max_abs(ref) / 256 : 0.0);
  Row r =
      make_row("crop resize",
               shape_text({static_cast<int64_t>(sizes.size())},
                          cat("out=", out, resample == Resample::bicubic ? " bicubic" : " bilinear")),
               dtype == torch::kFloat ? "u8 -> fp32" : "u8 -> bf16", got, abs_error(got, ref), bound, 0.0);
  if (timed && target.timed()) {
    r.fused_ms = median_ms([&] { fused(target, images, jobs, out, dtype); }, target.repeats);
    r.reference_ms =
        median_ms([&] { crop_resize_normalise_reference(images, jobs, out, out, kMean255, kStd255, dtype); },
                  target.repeats);
  }
  rows.push_back(r);
}

}  // namespace

void check_crop_resize(const Target& target, std::vector<Row>& rows) {
  const std::vector<std::pair<int64_t, int64_t>> mixed = {
      {375, 500}, {160, 160}, {23, 37}, {1, 1}, {500, 333}};
  for (auto resample : {Resample::bilinear, Resample::bicubic})
    for (auto dtype : {torch::kFloat, torch::kBFloat16})
      for (int64_t out : {int64_t{7}, int64_t{128}})
        check_case(mixed, out, resample, dtype, false, target, rows);
  if (!target.quick && !target.dry_run) {
    const std::vector<std::pair<int64_t, int64_t>> imagenet(128,
                                                            {375, 500});  // a batch of ImageNet-like photos
    check_case(imagenet, 224, Resample::bilinear, torch::kBFloat16, true, target, rows);
  }
}

}  // namespace softvit::kernels::check
