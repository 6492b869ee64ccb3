// Each transform against its definition: crop boxes, sizes, flips, rotation, colour factors, and
// the config text with its errors.
#include "core/error.h"
#include "data/transforms/image_ops.h"
#include "data/transforms/pipeline.h"
#include "data_test_util.h"

using namespace softvit;

namespace {

TransformPtr make(const std::string& text) {
  const TransformSpec spec(text, "test");
  const std::vector<std::string> one = {text};
  if (spec.name() == "random_resized_crop") return make_random_resized_crop(spec);
  if (spec.name() == "resize") return make_resize(spec);
  if (spec.name() == "center_crop") return make_center_crop(spec);
  if (spec.name() == "pad_crop") return make_pad_crop(spec);
  if (spec.name() == "hflip") return make_hflip(spec);
  if (spec.name() == "vflip") return make_vflip(spec);
  if (spec.name() == "rotate") return make_rotate(spec);
  if (spec.name() == "color_jitter") return make_color_jitter(spec);
  FAIL("no such transform in the test: " << text);
  return nullptr;
}

cv::Mat run(const std::string& text, const cv::Mat& in, uint64_t seed = 1) {
  cv::Mat image = in.clone();
  Rng rng(seed);
  make(text)->apply(image, rng);
  return image;
}

}  // namespace

TEST_CASE("transform text: arguments and errors that name the entry and transform", "[data][transforms]") {
  const TransformSpec spec("random_resized_crop(size=224, scale=0.08:1, interpolation=bicubic)",
                           "data.train_transforms[0]");
  CHECK(spec.name() == "random_resized_crop");
  CHECK(spec.integer("size", 0) == 224);
  CHECK(spec.range("scale", {0, 0}) == std::pair<double, double>{0.08, 1.0});
  CHECK(spec.word("interpolation", "") == "bicubic");
  CHECK(TransformSpec("hflip", "x").name() == "hflip");

  const TransformContext context;
  auto bad = [&](const std::string& text) {
    return Pipeline({"hflip", text}, "data.train_transforms", context);
  };
  CHECK_THROWS_WITH(bad("random_resized_crop(size=224, scale=1:0.5)"),
                    Catch::Contains("data.train_transforms[1]") && Catch::Contains("random_resized_crop") &&
                        Catch::Contains("scale"));
  CHECK_THROWS_WITH(bad("resize(size=abc)"), Catch::Contains("resize(size=abc)") && Catch::Contains("size"));
  CHECK_THROWS_WITH(bad("hflip(q=0.5)"), Catch::Contains("unknown argument 'q'"));
  CHECK_THROWS_WITH(bad("hflip(p=2)"), Catch::Contains("hflip(p=2)") && Catch::Contains("[0, 1]"));
  CHECK_THROWS_WITH(bad("sharpen(x=1)"),
                    Catch::Contains("unknown transform 'sharpen'") && Catch::Contains("rand_augment"));
  CHECK_THROWS_WITH(bad("center_crop(size=224"), Catch::Contains("missing ')'"));
  CHECK_THROWS_WITH(Pipeline({"random_erasing(p=0.25)", "hflip"}, "k", context),
                    Catch::Contains("must come last"));
  CHECK(Pipeline({"hflip", "random_erasing(p=0.25)"}, "k", context).erasing().has_value());
}

TEST_CASE("random_resized_crop: boxes inside the image and within the scale and ratio bounds",
          "[data][transforms]") {
  const auto t = make("random_resized_crop(size=32, scale=0.08:1, ratio=0.75:1.3333333)");
  REQUIRE(t->plans_crop());
  for (const cv::Size image : {cv::Size(500, 375), cv::Size(64, 300), cv::Size(40, 40)}) {
    const double area = image.area();
    int fallbacks = 0;
    for (uint64_t seed = 0; seed < 2000; ++seed) {
      Rng rng(seed);
      const CropPlan p = t->plan(image, rng);
      INFO("image " << image << " box " << p.box);
      REQUIRE((p.box & cv::Rect(cv::Point(0, 0), image)) == p.box);
      CHECK(p.out == cv::Size(32, 32));
      const double ratio = static_cast<double>(p.box.width) / p.box.height;
      // Rounding the sides to whole pixels moves area and ratio a little off the drawn values.
      const double slack_w = 1.0 / p.box.width, slack_h = 1.0 / p.box.height;
      CHECK(ratio >= 0.75 * (1 - slack_w) * (1 - slack_h));
      CHECK(ratio <= 1.3333334 * (1 + slack_w) * (1 + slack_h));
      const bool centred =
          p.box.x == (image.width - p.box.width) / 2 && p.box.y == (image.height - p.box.height) / 2;
      if (!centred || p.box.area() < 0.9 * area) {
        CHECK(p.box.area() >= 0.08 * area * (1 - slack_w) * (1 - slack_h) - 1);
      } else {
        ++fallbacks;
      }
    }
    if (image == cv::Size(500, 375)) CHECK(fallbacks < 100);  // the fallback is rare for ordinary shapes
  }
  // A very tall image: nearly every draw misses, so the fallback crops the widest allowed box.
  Rng rng(3);
  const auto fallback =
      make("random_resized_crop(size=8, scale=0.99:1, ratio=1:1)")->plan(cv::Size(10, 100), rng);
  CHECK(fallback.box == cv::Rect(0, 45, 10, 10));
  // apply() crops what plan() chooses and resizes to the output size.
  const cv::Mat image = testing::gradient_rgb(20, 20);
  Rng a(11), b(11);
  const auto crop = make("random_resized_crop(size=6, interpolation=nearest)");
  const CropPlan p = crop->plan(image.size(), a);
  cv::Mat out = image.clone();
  crop->apply(out, b);
  CHECK(out.size() == cv::Size(6, 6));
  CHECK(out.at<cv::Vec3b>(0, 0) == image.at<cv::Vec3b>(p.box.y, p.box.x));
}

TEST_CASE("resize and center_crop: torchvision's sizes and offsets", "[data][transforms]") {
  const cv::Mat landscape(375, 500, CV_8UC3, cv::Scalar::all(7));
  CHECK(run("resize(size=256)", landscape).size() == cv::Size(341, 256));  // int(256 * 500 / 375) = 341
  CHECK(run("resize(size=256)", landscape.t()).size() == cv::Size(256, 341));
  CHECK(run("resize(size=32x48)", landscape).size() == cv::Size(48, 32));
  const cv::Mat g = testing::gradient_rgb(9, 7);
  const cv::Mat c = run("center_crop(size=4)", g);
  REQUIRE(c.size() == cv::Size(4, 4));
  // top = round((7 - 4) / 2) = round(1.5) = 2 (half to even), left = round(2.5) = 2
  CHECK(c.at<cv::Vec3b>(0, 0) == g.at<cv::Vec3b>(2, 2));
  const cv::Mat padded = run("center_crop(size=11)", g);  // larger than the image: zero padding
  REQUIRE(padded.size() == cv::Size(11, 11));
  CHECK(padded.at<cv::Vec3b>(0, 0) == cv::Vec3b(0, 0, 0));
  CHECK(padded.at<cv::Vec3b>(2, 1) == g.at<cv::Vec3b>(0, 0));
}

TEST_CASE("flips are exact mirrors and pad_crop is a shift within the padding", "[data][transforms]") {
  const cv::Mat g = testing::gradient_rgb(6, 5);
  cv::Mat h, v;
  cv::flip(g, h, 1);
  cv::flip(g, v, 0);
  CHECK(cv::norm(run("hflip(p=1)", g), h, cv::NORM_INF) == 0);
  CHECK(cv::norm(run("vflip(p=1)", g), v, cv::NORM_INF) == 0);
  CHECK(cv::norm(run("hflip(p=0)", g), g, cv::NORM_INF) == 0);
  int flipped = 0;
  for (uint64_t s = 0; s < 1000; ++s) flipped += cv::norm(run("hflip(p=0.3)", g, s), h, cv::NORM_INF) == 0;
  CHECK(flipped > 240);
  CHECK(flipped < 360);
  for (uint64_t s = 0; s < 20; ++s) {
    const cv::Mat out = run("pad_crop(padding=2)", g, s);
    REQUIRE(out.size() == g.size());
    bool matched = false;
    for (int dy = -2; dy <= 2; ++dy)
      for (int dx = -2; dx <= 2; ++dx) {
        cv::Mat shifted(g.size(), g.type(), cv::Scalar::all(0));
        const cv::Rect src = cv::Rect(dx, dy, g.cols, g.rows) & cv::Rect(0, 0, g.cols, g.rows);
        g(src).copyTo(shifted(cv::Rect(src.x - dx, src.y - dy, src.width, src.height)));
        matched |= cv::norm(shifted, out, cv::NORM_INF) == 0;
      }
    CHECK(matched);
  }
}

TEST_CASE("rotate: a quarter turn about the centre equals cv::rotate", "[data][transforms]") {
  const cv::Mat g = testing::gradient_rgb(9, 9);
  cv::Mat turned = g.clone(), expected;
  image_ops::rotate(turned, 90, cv::INTER_NEAREST, cv::Scalar::all(0));
  cv::rotate(g, expected, cv::ROTATE_90_COUNTERCLOCKWISE);
  CHECK(cv::norm(turned, expected, cv::NORM_INF) == 0);
  // rotate(degrees=0) leaves the image alone; rotate(degrees=30) changes it but keeps the size.
  CHECK(cv::norm(run("rotate(degrees=0)", g), g, cv::NORM_INF) == 0);
  CHECK(run("rotate(degrees=30)", g).size() == g.size());
}

TEST_CASE("color_jitter: brightness scales by a factor within its range", "[data][transforms]") {
  const cv::Mat flat(4, 4, CV_8UC3, cv::Scalar(100, 100, 100));
  double lo = 10, hi = 0;
  for (uint64_t s = 0; s < 300; ++s) {
    const cv::Mat out = run("color_jitter(brightness=0.4, contrast=0, saturation=0)", flat, s);
    const double factor = out.at<cv::Vec3b>(0, 0)[0] / 100.0;
    lo = std::min(lo, factor);
    hi = std::max(hi, factor);
  }
  CHECK(lo >= 0.6 - 0.005);
  CHECK(hi <= 1.4 + 0.005);
  CHECK(lo < 0.7);
  CHECK(hi > 1.3);
  // Saturation 0 on a gray image changes nothing; hue turns pure red towards other hues.
  CHECK(cv::norm(run("color_jitter(brightness=0, contrast=0, saturation=0.5)", flat), flat, cv::NORM_INF) ==
        0);
  cv::Mat red(2, 2, CV_8UC3, cv::Scalar(255, 0, 0)), shifted = red.clone();
  image_ops::hue(shifted, 1.0 / 3.0);  // a third of a turn: red -> green
  CHECK(shifted.at<cv::Vec3b>(0, 0)[1] > 200);
  CHECK(shifted.at<cv::Vec3b>(0, 0)[0] < 30);
}
