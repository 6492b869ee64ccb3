// RandAugment against timm's definitions (auto_augment.py: op list, level-to-argument
// functions, config string) and PIL's pixel operations on hand-computed cases.
#include "core/error.h"
#include "data/transforms/factories.h"
#include "data/transforms/image_ops.h"
#include "data/transforms/rand_augment.h"
#include "data_test_util.h"

using namespace softvit;

namespace {

cv::Mat row(std::vector<uint8_t> values) { return cv::Mat(values, true).reshape(1, 1); }

std::vector<int> values_of(const cv::Mat& m) {
  return std::vector<int>(m.begin<uint8_t>(), m.end<uint8_t>());
}

}  // namespace

TEST_CASE("rand_augment: config string and op set follow timm", "[data][randaugment]") {
  const auto o = parse_rand_augment(TransformSpec("rand_augment(rand-m9-mstd0.5-inc1)", "t"));
  CHECK(o.magnitude == 9);
  CHECK(o.magnitude_std == 0.5);
  CHECK(o.increasing);
  CHECK(o.layers == 2);          // timm's default num_layers
  CHECK(o.magnitude_max == 10);  // _LEVEL_DENOM
  CHECK(o.prob == 0.5);          // each op applied with probability 0.5
  const auto keyed = parse_rand_augment(TransformSpec("rand_augment(m=7, n=3, mstd=0, inc=0)", "t"));
  CHECK(keyed.magnitude == 7);
  CHECK(keyed.layers == 3);
  CHECK_FALSE(keyed.increasing);
  CHECK(parse_rand_augment(TransformSpec("rand_augment(rand-m9-mstdinf)", "t")).magnitude_std ==
        std::numeric_limits<double>::infinity());
  CHECK_THROWS_WITH(parse_rand_augment(TransformSpec("rand_augment(rand-m9-x3)", "data.train_transforms[1]")),
                    Catch::Contains("data.train_transforms[1]") && Catch::Contains("x3"));
  CHECK_THROWS_AS(parse_rand_augment(TransformSpec("rand_augment(auto-m9)", "t")), ConfigError);

  const std::vector<std::string> increasing = {"AutoContrast",
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
  CHECK(rand_augment_ops(true) == increasing);
}

TEST_CASE("rand_augment: level-to-argument values at magnitude 9 and 10", "[data][randaugment]") {
  // timm: rotate 30 * m/10; posterize_increasing 4 - int(4 m/10); solarize_increasing
  // 256 - int(256 m/10); solarize_add int(110 m/10); enhance_increasing 1 + 0.9 m/10;
  // shear 0.3 m/10; translate_rel 0.45 m/10; original enhance 1.8 m/10 + 0.1.
  CHECK(rand_augment_argument("Rotate", 9) == Approx(27.0));
  CHECK(rand_augment_argument("PosterizeIncreasing", 9) == 1);
  CHECK(rand_augment_argument("PosterizeIncreasing", 0) == 4);
  CHECK(rand_augment_argument("SolarizeIncreasing", 9) == 26);
  CHECK(rand_augment_argument("SolarizeIncreasing", 0) == 256);
  CHECK(rand_augment_argument("SolarizeAdd", 9) == 99);
  CHECK(rand_augment_argument("ColorIncreasing", 9) == Approx(1.81));
  CHECK(rand_augment_argument("SharpnessIncreasing", 10) == Approx(1.9));
  CHECK(rand_augment_argument("ShearX", 9) == Approx(0.27));
  CHECK(rand_augment_argument("TranslateYRel", 9) == Approx(0.405));
  CHECK(rand_augment_argument("Brightness", 5) == Approx(1.0));
  CHECK(rand_augment_argument("Posterize", 9) == 3);
  CHECK(rand_augment_argument("Equalize", 9) == 0);
}

TEST_CASE("image ops: PIL's lookup-table operations on known values", "[data][randaugment]") {
  cv::Mat m = row({50, 100, 150});
  image_ops::autocontrast(m);  // scale 255/100, offset -127.5, truncated
  CHECK(values_of(m) == std::vector<int>{0, 127, 255});
  m = row({200, 100, 127, 128});
  image_ops::posterize(m, 1);
  CHECK(values_of(m) == std::vector<int>{128, 0, 0, 128});
  m = row({200, 100, 128, 127});
  image_ops::solarize(m, 128);
  CHECK(values_of(m) == std::vector<int>{55, 100, 127, 127});
  m = row({100, 200, 127, 160});
  image_ops::solarize_add(m, 110);
  CHECK(values_of(m) == std::vector<int>{210, 200, 237, 160});
  m = row({0, 255, 10});
  image_ops::invert(m);
  CHECK(values_of(m) == std::vector<int>{255, 0, 245});
  // Equalize, PIL's recipe: 255 pixels of 10, 255 of 20, 1 of 30: step = (511 - 1) // 255 = 2,
  // lut = (1 + cumulative count before the value) // 2 -> 10: 0, 20: 128, 30: 255.
  std::vector<uint8_t> v(255, 10);
  v.insert(v.end(), 255, 20);
  v.push_back(30);
  m = row(v);
  image_ops::equalize(m);
  CHECK(m.at<uint8_t>(0, 0) == 0);
  CHECK(m.at<uint8_t>(0, 300) == 128);
  CHECK(m.at<uint8_t>(0, 510) == 255);
}

TEST_CASE("image ops: enhance blends and PIL-style affine maps", "[data][randaugment]") {
  cv::Mat m(1, 2, CV_8UC3);
  m.at<cv::Vec3b>(0, 0) = cv::Vec3b(200, 100, 0);
  m.at<cv::Vec3b>(0, 1) = cv::Vec3b(0, 0, 0);
  cv::Mat gray = m.clone();
  image_ops::saturation(gray, 0.0);  // all the way to the luminance
  const int lum = static_cast<int>(std::lround(0.299 * 200 + 0.587 * 100));
  CHECK(std::abs(gray.at<cv::Vec3b>(0, 0)[0] - lum) <= 1);
  CHECK(gray.at<cv::Vec3b>(0, 0)[0] == gray.at<cv::Vec3b>(0, 0)[2]);
  cv::Mat bright = m.clone();
  image_ops::brightness(bright, 1.5);
  CHECK(bright.at<cv::Vec3b>(0, 0) == cv::Vec3b(255, 150, 0));
  cv::Mat flat(3, 3, CV_8UC1, cv::Scalar(40)), contrast = flat.clone();
  contrast.at<uint8_t>(1, 1) = 130;  // mean luminance 50
  image_ops::contrast(contrast, 0.0);
  CHECK(cv::countNonZero(contrast != 50) == 0);

  // TranslateX by +2 pixels: output x takes input x + 2 (image moves left), fill on the right.
  const cv::Mat g = testing::gradient_rgb(6, 4);
  cv::Mat moved = g.clone();
  image_ops::affine(moved, cv::Matx23d(1, 0, 2, 0, 1, 0), cv::INTER_NEAREST, cv::Scalar(1, 2, 3));
  CHECK(moved.at<cv::Vec3b>(1, 0) == g.at<cv::Vec3b>(1, 2));
  CHECK(moved.at<cv::Vec3b>(1, 5) == cv::Vec3b(1, 2, 3));
  // ShearX 0.5 about the top-left corner (PIL's convention): row y moves by 0.5 y pixels.
  cv::Mat sheared = g.clone();
  image_ops::affine(sheared, cv::Matx23d(1, 0.5, 0, 0, 1, 0), cv::INTER_NEAREST, cv::Scalar::all(0));
  CHECK(sheared.at<cv::Vec3b>(2, 0) == g.at<cv::Vec3b>(2, 1));
  CHECK(sheared.at<cv::Vec3b>(0, 3) == g.at<cv::Vec3b>(0, 3));
}

TEST_CASE("rand_augment: the same seed gives the same image and a gray image stays gray",
          "[data][randaugment]") {
  TransformContext context;
  context.fill = {124, 116, 104};
  const auto t = make_rand_augment(TransformSpec("rand_augment(rand-m9-mstd0.5-inc1)", "t"), context);
  cv::Mat image(32, 32, CV_8UC3);
  cv::randu(image, 0, 255);
  int changed = 0;
  for (uint64_t s = 0; s < 40; ++s) {
    cv::Mat a = image.clone(), b = image.clone();
    Rng ra(s), rb(s);
    t->apply(a, ra);
    t->apply(b, rb);
    CHECK(cv::norm(a, b, cv::NORM_INF) == 0);
    CHECK(a.size() == image.size());
    changed += cv::norm(a, image, cv::NORM_INF) > 0;
  }
  // Two ops at probability 0.5 each: about 3 in 4 images change (some ops can be no-ops).
  CHECK(changed > 20);
  CHECK(changed < 40);
  cv::Mat gray(16, 16, CV_8UC1);
  cv::randu(gray, 0, 255);
  Rng r(5);
  t->apply(gray, r);
  CHECK(gray.channels() == 1);
}
