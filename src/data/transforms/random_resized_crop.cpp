// RandomResizedCrop as torchvision and timm define it: up to 10 attempts at a box with area
// uniform in scale x image area and log-uniform aspect ratio, else a centre crop clamped to the
// ratio range; then resize to the output size.
#include <opencv2/imgproc.hpp>

#include <cmath>

#include "core/error.h"
#include "data/transforms/factories.h"

namespace softvit {
namespace {

class RandomResizedCrop : public Transform {
 public:
  RandomResizedCrop(cv::Size size, std::pair<double, double> scale, std::pair<double, double> ratio,
                    int interpolation)
      : size_(size), scale_(scale), ratio_(ratio), interpolation_(interpolation) {}

  bool plans_crop() const override { return true; }
  bool fixed_output_size() const override { return true; }

  CropPlan plan(cv::Size image, Rng& rng) const override {
    CropPlan plan;
    plan.out = size_;
    plan.box = box(image, rng);
    plan.interpolation = pick_interpolation(interpolation_, rng);
    return plan;
  }

  void apply_planned(cv::Mat& cropped, const CropPlan& plan) const override {
    cv::Mat out;
    cv::resize(cropped, out, plan.out, 0, 0, plan.interpolation);
    cropped = out;
  }

  void apply(cv::Mat& image, Rng& rng) const override {
    const CropPlan p = plan(image.size(), rng);
    cv::Mat cropped = image(p.box);
    apply_planned(cropped, p);
    image = cropped;
  }

 private:
  cv::Rect box(cv::Size image, Rng& rng) const {
    const double area = static_cast<double>(image.width) * image.height;
    const double log_lo = std::log(ratio_.first), log_hi = std::log(ratio_.second);
    for (int attempt = 0; attempt < 10; ++attempt) {
      const double target_area = rng.uniform(scale_.first, scale_.second) * area;
      const double aspect = std::exp(rng.uniform(log_lo, log_hi));
      const int w = static_cast<int>(std::nearbyint(std::sqrt(target_area * aspect)));
      const int h = static_cast<int>(std::nearbyint(std::sqrt(target_area / aspect)));
      if (w > 0 && h > 0 && w <= image.width && h <= image.height) {
        const int top = static_cast<int>(rng.between(0, image.height - h));
        const int left = static_cast<int>(rng.between(0, image.width - w));
        return {left, top, w, h};
      }
    }
    // Fallback: the largest centred box whose aspect ratio is within the range.
    const double in_ratio = static_cast<double>(image.width) / image.height;
    int w = image.width, h = image.height;
    if (in_ratio < ratio_.first)
      h = static_cast<int>(std::nearbyint(w / ratio_.first));
    else if (in_ratio > ratio_.second)
      w = static_cast<int>(std::nearbyint(h * ratio_.second));
    return {(image.width - w) / 2, (image.height - h) / 2, w, h};
  }

  cv::Size size_;
  std::pair<double, double> scale_, ratio_;
  int interpolation_;
};

}  // namespace

TransformPtr make_random_resized_crop(const TransformSpec& spec) {
  spec.allow({"size", "scale", "ratio", "interpolation"});
  const auto scale = spec.range("scale", {0.08, 1.0});
  const auto ratio = spec.range("ratio", {3.0 / 4.0, 4.0 / 3.0});
  if (scale.first <= 0 || scale.second > 1) throw ConfigError(spec.error("scale must lie in (0, 1]"));
  if (ratio.first <= 0) throw ConfigError(spec.error("ratio must be positive"));
  return std::make_unique<RandomResizedCrop>(parse_size(spec, "size", true), scale, ratio,
                                             parse_interpolation(spec, "bilinear"));
}

}  // namespace softvit
