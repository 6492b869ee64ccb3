#include "data/transforms/random_erasing.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <cstring>

#include "core/error.h"

namespace softvit {

ErasingOptions parse_random_erasing(const TransformSpec& spec) {
  spec.allow({"p", "min_area", "max_area", "min_aspect", "mode"});
  ErasingOptions o;
  o.p = spec.number("p", o.p);
  o.min_area = spec.number("min_area", o.min_area);
  o.max_area = spec.number("max_area", o.max_area);
  o.min_aspect = spec.number("min_aspect", o.min_aspect);
  if (spec.word("mode", "pixel") != "pixel") throw ConfigError(spec.error("only mode=pixel is supported"));
  if (o.p < 0 || o.p > 1) throw ConfigError(spec.error("p must be in [0, 1]"));
  if (o.min_area <= 0 || o.min_area > o.max_area || o.max_area > 1)
    throw ConfigError(spec.error("need 0 < min_area <= max_area <= 1"));
  if (o.min_aspect <= 0) throw ConfigError(spec.error("min_aspect must be positive"));
  return o;
}

EraseBox plan_erase(const ErasingOptions& o, int channels, int height, int width, Rng& rng) {
  if (rng.uniform() > o.p) return {};
  const double area = static_cast<double>(height) * width;
  const double log_lo = std::log(o.min_aspect), log_hi = std::log(1.0 / o.min_aspect);
  for (int attempt = 0; attempt < 10; ++attempt) {
    const double target_area = rng.uniform(o.min_area, o.max_area) * area;
    const double aspect = std::exp(rng.uniform(log_lo, log_hi));
    const int h = static_cast<int>(std::nearbyint(std::sqrt(target_area * aspect)));
    const int w = static_cast<int>(std::nearbyint(std::sqrt(target_area / aspect)));
    if (w < width && h < height && w > 0 && h > 0) {
      EraseBox box;
      box.top = static_cast<int>(rng.between(0, height - h));
      box.left = static_cast<int>(rng.between(0, width - w));
      box.height = h;
      box.width = w;
      auto generator = at::make_generator<at::CPUGeneratorImpl>(rng.next_u64());
      box.noise = torch::randn({channels, h, w}, generator, torch::kFloat32);
      return box;
    }
  }
  return {};
}

void apply_erase(torch::Tensor& images, const std::vector<EraseBox>& boxes) {
  for (size_t i = 0; i < boxes.size(); ++i) {
    const EraseBox& b = boxes[i];
    if (b.height == 0) continue;
    auto region =
        images[static_cast<int64_t>(i)].slice(1, b.top, b.top + b.height).slice(2, b.left, b.left + b.width);
    region.copy_(b.noise, /*non_blocking=*/true);
  }
}

torch::Tensor pack_erase_noise(const std::vector<EraseBox>& boxes, bool pinned) {
  int64_t total = 0;
  for (const auto& b : boxes)
    if (b.height > 0) total += b.noise.numel();
  auto packed =
      torch::empty({total}, torch::TensorOptions(torch::kFloat32).pinned_memory(pinned && total > 0));
  float* dst = packed.data_ptr<float>();
  for (const auto& b : boxes) {
    if (b.height == 0) continue;
    const auto noise = b.noise.contiguous();
    std::memcpy(dst, noise.data_ptr<float>(), static_cast<size_t>(noise.numel()) * sizeof(float));
    dst += noise.numel();
  }
  return packed;
}

void apply_erase(torch::Tensor& images, const std::vector<EraseBox>& boxes,
                 const torch::Tensor& packed_noise) {
  const int64_t channels = images.size(1);
  int64_t offset = 0;
  for (size_t i = 0; i < boxes.size(); ++i) {
    const EraseBox& b = boxes[i];
    if (b.height == 0) continue;
    const int64_t n = channels * b.height * b.width;
    if (offset + n > packed_noise.numel())
      throw Error("apply_erase: the packed noise is shorter than the boxes need");
    auto region =
        images[static_cast<int64_t>(i)].slice(1, b.top, b.top + b.height).slice(2, b.left, b.left + b.width);
    region.copy_(packed_noise.slice(0, offset, offset + n).view({channels, b.height, b.width}));
    offset += n;
  }
}

}  // namespace softvit
