// RandAugment with timm's semantics (timm/data/auto_augment.py): `n` ops drawn with replacement
// from 15, each applied with probability 0.5 at a magnitude drawn around `m` (Gaussian, std
// `mstd`, clipped to [0, mmax]); "inc1" selects the ops whose strength increases with the
// magnitude. Config text: rand_augment(rand-m9-mstd0.5-inc1) or rand_augment(m=9, mstd=0.5, inc=1).
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <limits>

#include "core/error.h"
#include "core/strings.h"
#include "data/transforms/factories.h"
#include "data/transforms/image_ops.h"
#include "data/transforms/rand_augment.h"

namespace softvit {
namespace {

constexpr double kLevelDenominator = 10.0;  // timm's _LEVEL_DENOM
constexpr double kTranslatePct = 0.45;      // timm's _HPARAMS_DEFAULT translate_pct

const std::vector<std::string> kIncreasing = {"AutoContrast",
                                              "Equalize",
                                              "Invert",
                                              "Rotate",
                                              "PosterizeIncreasing",
                                              "SolarizeIncreasing",
                                              "SolarizeAdd",
                                              "ColorIncreasing",
                                              "ContrastIncreasing",
                                              "BrightnessIncreasing",
                                              "SharpnessIncreasing",
                                              "ShearX",
                                              "ShearY",
                                              "TranslateXRel",
                                              "TranslateYRel"};
const std::vector<std::string> kOriginal = {"AutoContrast", "Equalize",      "Invert",       "Rotate",
                                            "Posterize",    "Solarize",      "SolarizeAdd",  "Color",
                                            "Contrast",     "Brightness",    "Sharpness",    "ShearX",
                                            "ShearY",       "TranslateXRel", "TranslateYRel"};

// Ops whose argument timm negates at random: the geometric ones and the increasing enhancers.
bool signed_op(const std::string& op) {
  const bool enhance = op.find("Increasing") != std::string::npos &&
                       op.find("Posterize") == std::string::npos && op.find("Solarize") == std::string::npos;
  return enhance || op == "Rotate" || op == "ShearX" || op == "ShearY" || op == "TranslateXRel" ||
         op == "TranslateYRel";
}

class RandAugment : public Transform {
 public:
  RandAugment(RandAugmentOptions options, cv::Scalar fill)
      : o_(options), fill_(fill), ops_(rand_augment_ops(options.increasing)) {}

  void apply(cv::Mat& image, Rng& rng) const override {
    size_t chosen[16];
    for (int l = 0; l < o_.layers; ++l)
      chosen[l] = static_cast<size_t>(rng.below(static_cast<int64_t>(ops_.size())));
    for (int l = 0; l < o_.layers; ++l) apply_op(ops_[chosen[l]], image, rng);
  }

 private:
  void apply_op(const std::string& op, cv::Mat& image, Rng& rng) const {
    if (o_.prob < 1.0 && rng.uniform() > o_.prob) return;
    double m = o_.magnitude;
    if (o_.magnitude_std == std::numeric_limits<double>::infinity())
      m = rng.uniform(0, m);
    else if (o_.magnitude_std > 0)
      m = m + o_.magnitude_std * rng.normal();
    m = std::clamp(m, 0.0, o_.magnitude_max);
    double arg = rand_augment_argument(op, m);
    if (signed_op(op)) {
      const bool increasing_enhance = op.find("Increasing") != std::string::npos;
      const double v = increasing_enhance ? arg - 1.0 : arg;  // enhance: 1 + (-v or v)
      const double s = rng.uniform() > 0.5 ? -v : v;
      arg = increasing_enhance ? 1.0 + s : s;
    }
    auto interpolation = [&rng]() { return rng.below(2) == 0 ? cv::INTER_LINEAR : cv::INTER_CUBIC; };
    if (op == "AutoContrast")
      image_ops::autocontrast(image);
    else if (op == "Equalize")
      image_ops::equalize(image);
    else if (op == "Invert")
      image_ops::invert(image);
    else if (op == "Rotate")
      image_ops::rotate(image, arg, interpolation(), fill_);
    else if (op.rfind("Posterize", 0) == 0)
      image_ops::posterize(image, static_cast<int>(arg));
    else if (op == "SolarizeAdd")
      image_ops::solarize_add(image, static_cast<int>(arg));
    else if (op.rfind("Solarize", 0) == 0)
      image_ops::solarize(image, static_cast<int>(arg));
    else if (op.rfind("Color", 0) == 0)
      image_ops::saturation(image, arg);
    else if (op.rfind("Contrast", 0) == 0)
      image_ops::contrast(image, arg);
    else if (op.rfind("Brightness", 0) == 0)
      image_ops::brightness(image, arg);
    else if (op.rfind("Sharpness", 0) == 0)
      image_ops::sharpness(image, arg);
    else if (op == "ShearX")
      image_ops::affine(image, cv::Matx23d(1, arg, 0, 0, 1, 0), interpolation(), fill_);
    else if (op == "ShearY")
      image_ops::affine(image, cv::Matx23d(1, 0, 0, arg, 1, 0), interpolation(), fill_);
    else if (op == "TranslateXRel")
      image_ops::affine(image, cv::Matx23d(1, 0, arg * image.cols, 0, 1, 0), interpolation(), fill_);
    else if (op == "TranslateYRel")
      image_ops::affine(image, cv::Matx23d(1, 0, 0, 0, 1, arg * image.rows), interpolation(), fill_);
  }

  RandAugmentOptions o_;
  cv::Scalar fill_;
  std::vector<std::string> ops_;
};

double parse_number(const TransformSpec& spec, const std::string& section, const std::string& text) {
  try {
    size_t used = 0;
    const double v = text == "inf" ? std::numeric_limits<double>::infinity() : std::stod(text, &used);
    if (text == "inf" || used == text.size()) return v;
  } catch (const std::exception&) {
  }
  throw ConfigError(spec.error("bad number in '" + section + "'"));
}

}  // namespace

RandAugmentOptions parse_rand_augment(const TransformSpec& spec) {
  spec.allow({"m", "n", "mstd", "mmax", "inc", "p"}, /*positional=*/true);
  RandAugmentOptions o;
  if (!spec.positional().empty()) {  // timm's config string: rand-m9-mstd0.5-inc1
    if (spec.positional().size() != 1)
      throw ConfigError(spec.error("expected one config string like rand-m9-mstd0.5-inc1"));
    const auto sections = split(spec.positional()[0], '-');
    if (sections.empty() || sections[0] != "rand")
      throw ConfigError(spec.error("config string must start with 'rand'"));
    for (size_t i = 1; i < sections.size(); ++i) {
      const std::string& s = sections[i];
      auto digit = s.find_first_of("0123456789.");
      if (s.size() > 3 && s.compare(s.size() - 3, 3, "inf") == 0) digit = s.size() - 3;
      const std::string key = s.substr(0, digit), value = digit == std::string::npos ? "" : s.substr(digit);
      if (key == "m")
        o.magnitude = parse_number(spec, s, value);
      else if (key == "n")
        o.layers = static_cast<int>(parse_number(spec, s, value));
      else if (key == "mstd")
        o.magnitude_std = parse_number(spec, s, value);
      else if (key == "mmax")
        o.magnitude_max = parse_number(spec, s, value);
      else if (key == "inc")
        o.increasing = parse_number(spec, s, value) != 0;
      else if (key == "p")
        o.prob = parse_number(spec, s, value);
      else
        throw ConfigError(spec.error("unknown section '" + s + "' (known: m, n, mstd, mmax, inc, p)"));
    }
  }
  o.magnitude = spec.number("m", o.magnitude);
  o.layers = spec.integer("n", o.layers);
  o.magnitude_std = spec.number("mstd", o.magnitude_std);
  o.magnitude_max = spec.number("mmax", o.magnitude_max);
  o.increasing = spec.integer("inc", o.increasing ? 1 : 0) != 0;
  o.prob = spec.number("p", o.prob);
  if (o.layers < 0 || o.layers > 16) throw ConfigError(spec.error("n must be in 0..16"));
  if (o.magnitude < 0 || o.magnitude_std < 0)
    throw ConfigError(spec.error("m and mstd must not be negative"));
  if (o.prob < 0 || o.prob > 1) throw ConfigError(spec.error("p must be in [0, 1]"));
  return o;
}

std::vector<std::string> rand_augment_ops(bool increasing) { return increasing ? kIncreasing : kOriginal; }

double rand_augment_argument(const std::string& op, double magnitude) {
  const double level = magnitude / kLevelDenominator;
  if (op == "Rotate") return level * 30.0;
  if (op == "Posterize") return static_cast<int>(level * 4);
  if (op == "PosterizeIncreasing") return 4 - static_cast<int>(level * 4);
  if (op == "Solarize") return static_cast<int>(level * 256);
  if (op == "SolarizeIncreasing") return 256 - static_cast<int>(level * 256);
  if (op == "SolarizeAdd") return static_cast<int>(level * 110);
  if (op == "Color" || op == "Contrast" || op == "Brightness" || op == "Sharpness") return level * 1.8 + 0.1;
  if (op.find("Increasing") != std::string::npos) return 1.0 + level * 0.9;
  if (op == "ShearX" || op == "ShearY") return level * 0.3;
  if (op == "TranslateXRel" || op == "TranslateYRel") return level * kTranslatePct;
  return 0.0;
}

TransformPtr make_rand_augment(const TransformSpec& spec, const TransformContext& context) {
  const RandAugmentOptions o = parse_rand_augment(spec);
  cv::Scalar fill;
  for (int c = 0; c < 4; ++c) fill[c] = context.fill[std::min<size_t>(c, context.fill.size() - 1)];
  return std::make_unique<RandAugment>(o, fill);
}

}  // namespace softvit
