// Decoding through OpenCV and the JPEG region decoder: formats, depths, channels, EXIF
// orientation, damaged files.
#include "core/error.h"
#include "data/decode.h"
#include "data/jpeg_region.h"
#include "data_test_util.h"

using namespace softvit;
using testing::encode_rgb;
using testing::gradient_rgb;

namespace {

DecodeOptions channels(int c) {
  DecodeOptions o;
  o.channels = c;
  return o;
}

}  // namespace

TEST_CASE("decode: lossless formats give back the exact RGB and gray pixels", "[data][decode]") {
  const cv::Mat rgb = gradient_rgb(7, 5);
  cv::Mat gray;
  cv::cvtColor(rgb, gray, cv::COLOR_RGB2GRAY);
  for (const std::string ext : {".png", ".bmp", ".tiff"}) {
    INFO(ext);
    if (!cv::haveImageWriter("x" + ext)) {  // the GPU machine's OpenCV is built without TIFF
      WARN("OpenCV here has no " + ext + " codec; not checked");
      continue;
    }
    const cv::Mat colour = decode_image(encode_rgb(rgb, ext), "x" + ext, channels(3));
    CHECK(colour.type() == CV_8UC3);
    CHECK(cv::norm(colour, rgb, cv::NORM_INF) == 0);
    const cv::Mat as_gray = decode_image(encode_rgb(rgb, ext), "x" + ext, channels(1));
    CHECK(as_gray.type() == CV_8UC1);
    CHECK(cv::norm(as_gray, gray, cv::NORM_INF) <= 1);
    const cv::Mat gray_as_rgb = decode_image(encode_rgb(gray, ext), "g" + ext, channels(3));
    std::vector<cv::Mat> planes;
    cv::split(gray_as_rgb, planes);
    for (const auto& p : planes) CHECK(cv::norm(p, gray, cv::NORM_INF) == 0);
  }
  const cv::Mat jpeg =
      decode_image(encode_rgb(rgb, ".jpg", {cv::IMWRITE_JPEG_QUALITY, 100}), "x.jpg", channels(3));
  CHECK(cv::norm(jpeg, rgb, cv::NORM_L1) / rgb.total() / 3 < 4.0);  // lossy, but RGB order kept
}

TEST_CASE("decode: 16-bit PNG scales by 1/257 or stretches min..max", "[data][decode]") {
  cv::Mat deep(2, 3, CV_16UC1);
  const uint16_t values[6] = {0, 257, 1000, 30000, 65535, 514};
  for (int i = 0; i < 6; ++i) deep.at<uint16_t>(i / 3, i % 3) = values[i];
  std::vector<uint8_t> png;
  REQUIRE(cv::imencode(".png", deep, png));
  const cv::Mat full = decode_image(png, "d.png", channels(1));
  REQUIRE(full.type() == CV_8UC1);
  for (int i = 0; i < 6; ++i)
    CHECK(full.at<uint8_t>(i / 3, i % 3) == static_cast<int>(std::lround(values[i] / 257.0)));
  DecodeOptions stretch = channels(1);
  stretch.minmax_16bit = true;
  cv::Mat narrow(1, 3, CV_16UC1);
  narrow.at<uint16_t>(0, 0) = 1000;
  narrow.at<uint16_t>(0, 1) = 1500;
  narrow.at<uint16_t>(0, 2) = 2000;
  REQUIRE(cv::imencode(".png", narrow, png));
  const cv::Mat stretched = decode_image(png, "n.png", stretch);
  CHECK(stretched.at<uint8_t>(0, 0) == 0);
  CHECK(std::abs(stretched.at<uint8_t>(0, 1) - 127.5) == 0.5);  // 500 * 255 / 1000 = 127.5
  CHECK(stretched.at<uint8_t>(0, 2) == 255);
  const cv::Mat as_rgb = decode_image(png, "n.png", channels(3));
  CHECK(as_rgb.type() == CV_8UC3);
}

TEST_CASE("decode: EXIF orientation is applied for colour and gray JPEGs", "[data][decode]") {
  // 16 x 8 landscape, left half dark, right half bright; orientation 6 means "rotate 90 clockwise
  // to display": the result is 8 x 16 portrait with the dark half on top.
  cv::Mat rgb(8, 16, CV_8UC3, cv::Scalar(30, 30, 30));
  rgb(cv::Rect(8, 0, 8, 8)).setTo(cv::Scalar(220, 220, 220));
  const auto plain = encode_rgb(rgb, ".jpg", {cv::IMWRITE_JPEG_QUALITY, 95});
  const auto rotated = testing::with_exif_orientation(plain, 6);
  for (int c : {3, 1}) {
    INFO("channels " << c);
    const cv::Mat upright = decode_image(plain, "p.jpg", channels(c));
    CHECK(upright.size() == cv::Size(16, 8));
    const cv::Mat turned = decode_image(rotated, "r.jpg", channels(c));
    REQUIRE(turned.size() == cv::Size(8, 16));
    CHECK(cv::mean(turned(cv::Rect(0, 0, 8, 8)))[0] < 60);
    CHECK(cv::mean(turned(cv::Rect(0, 8, 8, 8)))[0] > 190);
  }
  const auto header = read_jpeg_header(rotated);
  REQUIRE(header);
  CHECK(header->orientation == 6);
  CHECK(header->width == 16);
  CHECK(header->height == 8);
  CHECK(header->components == 3);
}

TEST_CASE("decode: garbage or empty files and truncated JPEG or PNG are errors naming the file",
          "[data][decode][bad]") {
  const cv::Mat rgb = gradient_rgb(40, 30);
  const auto jpeg = encode_rgb(rgb, ".jpg");
  const auto png = encode_rgb(rgb, ".png");
  CHECK_THROWS_WITH(decode_image({1, 2, 3, 4, 5}, "junk.jpg", channels(3)), Catch::Contains("junk.jpg"));
  CHECK_THROWS_WITH(decode_image({}, "empty.png", channels(3)),
                    Catch::Contains("empty.png") && Catch::Contains("empty"));
  const std::vector<uint8_t> cut_jpeg(jpeg.begin(), jpeg.begin() + static_cast<long>(jpeg.size() * 2 / 3));
  CHECK(jpeg_is_truncated(cut_jpeg));
  CHECK_FALSE(jpeg_is_truncated(jpeg));
  CHECK_THROWS_WITH(decode_image(cut_jpeg, "cut.jpg", channels(3)),
                    Catch::Contains("cut.jpg") && Catch::Contains("truncated"));
  CHECK_THROWS_WITH(decode_jpeg_region(cut_jpeg, "cut.jpg", cv::Rect(0, 0, 8, 8), 3),
                    Catch::Contains("cut.jpg"));
  const std::vector<uint8_t> cut_png(png.begin(), png.begin() + static_cast<long>(png.size() / 2));
  CHECK_THROWS_WITH(decode_image(cut_png, "cut.png", channels(3)), Catch::Contains("cut.png"));
}

TEST_CASE("jpeg region: decoding a box equals decoding everything and cropping", "[data][decode]") {
  cv::Mat rgb(120, 160, CV_8UC3);
  cv::randu(rgb, 0, 255);
  cv::GaussianBlur(rgb, rgb, cv::Size(9, 9), 3);
  cv::Mat gray;
  cv::cvtColor(rgb, gray, cv::COLOR_RGB2GRAY);
  for (const cv::Mat& source : {rgb, gray}) {  // 4:2:0 colour (OpenCV's default) and one-component
    const auto jpeg = encode_rgb(source, ".jpg", {cv::IMWRITE_JPEG_QUALITY, 90});
    const cv::Mat full = decode_image(jpeg, "x.jpg", channels(3));
    for (const cv::Rect box :
         {cv::Rect(0, 0, 160, 120), cv::Rect(37, 21, 50, 61), cv::Rect(100, 90, 60, 30)}) {
      INFO("box " << box << " channels " << source.channels());
      const cv::Mat part = decode_jpeg_region(jpeg, "x.jpg", box, 3);
      REQUIRE(part.size() == box.size());
      // libjpeg may smooth chroma slightly differently at the region's edge; the pixels agree
      // everywhere to within a couple of levels and are mostly identical.
      cv::Mat diff;
      cv::absdiff(part, full(box), diff);
      CHECK(cv::norm(diff, cv::NORM_INF) <= 3);
      CHECK(cv::mean(diff)[0] < 0.2);
    }
    const cv::Mat gray = decode_jpeg_region(jpeg, "x.jpg", cv::Rect(10, 10, 30, 20), 1);
    CHECK(gray.type() == CV_8UC1);
    CHECK(gray.size() == cv::Size(30, 20));
  }
  CHECK_FALSE(read_jpeg_header({0x89, 'P', 'N', 'G'}));
}

TEST_CASE("jpeg region: DCT scaling picks the smallest of 1/8 1/4 1/2 that keeps the output size",
          "[data][decode]") {
  CHECK(jpeg_scale_eighths({448, 448}, {224, 224}) == 4);
  CHECK(jpeg_scale_eighths({900, 447}, {224, 224}) == 8);  // 447 / 2 < 224: full scale
  CHECK(jpeg_scale_eighths({900, 900}, {224, 224}) == 2);  // 900 / 4 = 225
  CHECK(jpeg_scale_eighths({200, 200}, {224, 224}) == 8);  // upscaled later: full scale
  CHECK(jpeg_scale_eighths({2000, 1800}, {224, 224}) == 1);

  // A smooth image, so that DCT-domain and pixel-domain downscaling agree closely.
  cv::Mat rgb(480, 640, CV_8UC3);
  cv::randu(rgb, 0, 255);
  cv::GaussianBlur(rgb, rgb, cv::Size(0, 0), 6);
  const auto jpeg = encode_rgb(rgb, ".jpg", {cv::IMWRITE_JPEG_QUALITY, 95});
  const cv::Mat full = decode_image(jpeg, "x.jpg", channels(3));
  const cv::Size out(112, 112);
  for (const cv::Rect box :
       {cv::Rect(0, 0, 640, 480), cv::Rect(101, 37, 300, 290), cv::Rect(333, 150, 230, 250)}) {
    INFO("box " << box);
    const int m = jpeg_scale_eighths(box.size(), out);
    const cv::Mat scaled = decode_jpeg_region(jpeg, "x.jpg", box, 3, out);
    // The region at M/8, edges rounded outwards: never smaller than the output it is resized to.
    CHECK(scaled.cols >= out.width);
    CHECK(scaled.rows >= out.height);
    CHECK(std::abs(scaled.cols - box.width * m / 8.0) <= 1.0);
    CHECK(std::abs(scaled.rows - box.height * m / 8.0) <= 1.0);
    cv::Mat a, b, diff;
    cv::resize(scaled, a, out, 0, 0, cv::INTER_AREA);
    cv::resize(full(box), b, out, 0, 0, cv::INTER_AREA);
    cv::absdiff(a, b, diff);
    CHECK(cv::mean(diff)[0] < 2.0);  // of 255: the same picture
  }
  CHECK(jpeg_scale_eighths({640, 480}, out) < 8);  // the case above did scale
}
