// Deterministic and simple random geometry: resize, centre crop, pad-and-crop, flips, rotation.
#include <opencv2/imgproc.hpp>

#include <cmath>

#include "core/error.h"
#include "core/strings.h"
#include "data/transforms/factories.h"
#include "data/transforms/image_ops.h"

namespace softvit {

int parse_interpolation(const TransformSpec& spec, const std::string& fallback) {
  const std::string name = spec.word("interpolation", fallback);
  if (name == "bilinear") return cv::INTER_LINEAR;
  if (name == "bicubic") return cv::INTER_CUBIC;
  if (name == "nearest") return cv::INTER_NEAREST;
  if (name == "area") return cv::INTER_AREA;
  if (name == "random") return -1;
  throw ConfigError(
      spec.error("interpolation '" + name + "' is not bilinear, bicubic, nearest, area or random"));
}

int pick_interpolation(int interpolation, Rng& rng) {
  if (interpolation >= 0) return interpolation;
  return rng.below(2) == 0 ? cv::INTER_LINEAR : cv::INTER_CUBIC;
}

cv::Size parse_size(const TransformSpec& spec, const std::string& key, bool required) {
  const std::string text = spec.word(key, "");
  if (text.empty()) {
    if (required) throw ConfigError(spec.error("needs " + key + "=N or " + key + "=HxW"));
    return {};
  }
  const auto x = text.find('x');
  try {
    size_t used = 0;
    const int h = std::stoi(text.substr(0, x), &used);
    const int w = x == std::string::npos ? h : std::stoi(text.substr(x + 1));
    if (h > 0 && w > 0 && (x != std::string::npos || used == text.size())) return {w, h};
  } catch (const std::exception&) {
  }
  throw ConfigError(spec.error(key + " = '" + text + "' is not N or HxW with positive numbers"));
}

namespace {

// Python's round(): halves go to the even neighbour (the default floating-point rounding mode).
int round_even(double v) { return static_cast<int>(std::nearbyint(v)); }

// Resizing keeps the whole image, so as a "crop" it lets the pipeline decode JPEGs straight to
// RGB through libjpeg (see Transform::plans_crop).
class Resize : public Transform {
 public:
  Resize(cv::Size size, bool shorter_side, int interpolation)
      : size_(size), shorter_side_(shorter_side), interpolation_(interpolation) {}

  bool plans_crop() const override { return true; }
  bool fixed_output_size() const override { return !shorter_side_; }

  CropPlan plan(cv::Size image, Rng& rng) const override {
    CropPlan p;
    p.box = cv::Rect(cv::Point(0, 0), image);
    p.out = size_;
    if (shorter_side_) {  // torchvision Resize(int): shorter side to size, the other truncated
      const int s = size_.width;
      p.out = image.width <= image.height
                  ? cv::Size(s, static_cast<int>(int64_t(s) * image.height / image.width))
                  : cv::Size(static_cast<int>(int64_t(s) * image.width / image.height), s);
    }
    p.interpolation = pick_interpolation(interpolation_, rng);
    return p;
  }

  void apply_planned(cv::Mat& image, const CropPlan& plan) const override {
    if (plan.out == image.size()) return;
    cv::Mat resized;
    cv::resize(image, resized, plan.out, 0, 0, plan.interpolation);
    image = resized;
  }

  void apply(cv::Mat& image, Rng& rng) const override { apply_planned(image, plan(image.size(), rng)); }

 private:
  cv::Size size_;
  bool shorter_side_;
  int interpolation_;
};

class CenterCrop : public Transform {
 public:
  explicit CenterCrop(cv::Size size) : size_(size) {}
  void apply(cv::Mat& image, Rng&) const override {
    if (image.cols < size_.width || image.rows < size_.height) {  // torchvision pads with zeros first
      const int pw = std::max(0, size_.width - image.cols), ph = std::max(0, size_.height - image.rows);
      cv::Mat padded;
      cv::copyMakeBorder(image, padded, ph / 2, ph - ph / 2, pw / 2, pw - pw / 2, cv::BORDER_CONSTANT,
                         cv::Scalar::all(0));
      image = padded;
    }
    const int top = round_even((image.rows - size_.height) / 2.0);
    const int left = round_even((image.cols - size_.width) / 2.0);
    image = image(cv::Rect(left, top, size_.width, size_.height));
  }

 private:
  cv::Size size_;
};

class PadCrop : public Transform {
 public:
  explicit PadCrop(int padding) : padding_(padding) {}
  void apply(cv::Mat& image, Rng& rng) const override {
    const int dy = static_cast<int>(rng.below(2 * padding_ + 1)),
              dx = static_cast<int>(rng.below(2 * padding_ + 1));
    cv::Mat padded;
    cv::copyMakeBorder(image, padded, padding_, padding_, padding_, padding_, cv::BORDER_CONSTANT,
                       cv::Scalar::all(0));
    image = padded(cv::Rect(dx, dy, image.cols, image.rows));
  }

 private:
  int padding_;
};

class Flip : public Transform {
 public:
  Flip(double p, int code) : p_(p), code_(code) {}
  void apply(cv::Mat& image, Rng& rng) const override {
    if (rng.chance(p_)) cv::flip(image, image, code_);  // in place: the pipeline owns the pixels
  }
  bool is_hflip() const override { return code_ == 1; }
  bool draw_hflip(Rng& rng) const override { return rng.chance(p_); }

 private:
  double p_;
  int code_;  // 1: horizontal, 0: vertical
};

class Rotate : public Transform {
 public:
  Rotate(double degrees, double fill, int interpolation)
      : degrees_(degrees), fill_(fill), interpolation_(interpolation) {}
  void apply(cv::Mat& image, Rng& rng) const override {
    const double angle = rng.uniform(-degrees_, degrees_);
    image_ops::rotate(image, angle, pick_interpolation(interpolation_, rng), cv::Scalar::all(fill_));
  }

 private:
  double degrees_, fill_;
  int interpolation_;
};

double probability(const TransformSpec& spec, double fallback) {
  const double p = spec.number("p", fallback);
  if (p < 0 || p > 1) throw ConfigError(spec.error("p must be in [0, 1]"));
  return p;
}

}  // namespace

TransformPtr make_resize(const TransformSpec& spec) {
  spec.allow({"size", "interpolation"});
  const cv::Size size = parse_size(spec, "size", true);
  const bool shorter = spec.word("size", "").find('x') == std::string::npos;
  return std::make_unique<Resize>(size, shorter, parse_interpolation(spec, "bilinear"));
}

TransformPtr make_center_crop(const TransformSpec& spec) {
  spec.allow({"size"});
  return std::make_unique<CenterCrop>(parse_size(spec, "size", true));
}

TransformPtr make_pad_crop(const TransformSpec& spec) {
  spec.allow({"padding"});
  const int padding = spec.integer("padding", 4);
  if (padding < 0) throw ConfigError(spec.error("padding must not be negative"));
  return std::make_unique<PadCrop>(padding);
}

TransformPtr make_hflip(const TransformSpec& spec) {
  spec.allow({"p"});
  return std::make_unique<Flip>(probability(spec, 0.5), 1);
}

TransformPtr make_vflip(const TransformSpec& spec) {
  spec.allow({"p"});
  return std::make_unique<Flip>(probability(spec, 0.5), 0);
}

TransformPtr make_rotate(const TransformSpec& spec) {
  spec.allow({"degrees", "fill", "interpolation"});
  const double degrees = spec.number("degrees", 15);
  if (degrees < 0) throw ConfigError(spec.error("degrees must not be negative"));
  return std::make_unique<Rotate>(degrees, spec.number("fill", 0), parse_interpolation(spec, "bilinear"));
}

}  // namespace softvit
