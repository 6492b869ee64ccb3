// torchvision's ColorJitter: brightness, contrast and saturation factors uniform in
// [max(0, 1 - x), 1 + x], hue shift uniform in [-h, h], applied in a random order.
#include "core/error.h"
#include "data/transforms/factories.h"
#include "data/transforms/image_ops.h"

namespace softvit {
namespace {

class ColorJitter : public Transform {
 public:
  ColorJitter(double brightness, double contrast, double saturation, double hue)
      : amount_{brightness, contrast, saturation, hue} {}

  void apply(cv::Mat& image, Rng& rng) const override {
    int order[4] = {0, 1, 2, 3};
    for (int i = 3; i > 0; --i) std::swap(order[i], order[rng.below(i + 1)]);
    for (int op : order) {
      const double x = amount_[op];
      if (x <= 0) continue;
      if (op == 3) {
        image_ops::hue(image, rng.uniform(-x, x));
        continue;
      }
      const double factor = rng.uniform(std::max(0.0, 1.0 - x), 1.0 + x);
      if (op == 0) image_ops::brightness(image, factor);
      if (op == 1) image_ops::contrast(image, factor);
      if (op == 2) image_ops::saturation(image, factor);
    }
  }

 private:
  double amount_[4];
};

}  // namespace

TransformPtr make_color_jitter(const TransformSpec& spec) {
  spec.allow({"brightness", "contrast", "saturation", "hue"});
  const double b = spec.number("brightness", 0.4), c = spec.number("contrast", 0.4);
  const double s = spec.number("saturation", 0.4), h = spec.number("hue", 0.0);
  if (b < 0 || c < 0 || s < 0)
    throw ConfigError(spec.error("brightness, contrast and saturation must not be negative"));
  if (h < 0 || h > 0.5) throw ConfigError(spec.error("hue must be in [0, 0.5]"));
  return std::make_unique<ColorJitter>(b, c, s, h);
}

}  // namespace softvit
