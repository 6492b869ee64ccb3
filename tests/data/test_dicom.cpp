// DICOM as an image format (src/data/dicom): stored values, rescale, windows, MONOCHROME1, frames,
// errors, and .dcm files through the folder, CSV and WebDataset sources. The files are written by
// tests/data/dicom_test_util.h; pydicom's own files are compared in test_dicom_reference.cpp.
#include <opencv2/core.hpp>

#include "core/config.h"
#include "core/error.h"
#include "data/decode.h"
#include "data/dicom/dicom_decode.h"
#include "data/dicom/dicom_image.h"
#include "data/dicom/dicom_syntax.h"
#include "data/dicom/dicom_window.h"
#include "data/loader.h"
#include "data/sources/make_source.h"
#include "data_test_util.h"
#include "dicom_test_util.h"
#include "shard_test_util.h"

using namespace softvit;
using testing::dicom_available;
using testing::dicom_bytes;
using testing::SyntheticDicom;
using testing::write_bytes;

namespace {

std::vector<uint8_t> grey_values(const cv::Mat& image) {
  REQUIRE(image.type() == CV_8UC1);
  return std::vector<uint8_t>(image.ptr<uint8_t>(), image.ptr<uint8_t>() + image.total());
}

cv::Mat decode(const std::vector<uint8_t>& bytes, DicomOptions dicom = {}, int channels = 1,
               const std::string& name = "x.dcm") {
  DecodeOptions options;
  options.channels = channels;
  options.dicom = dicom;
  return decode_image(bytes, name, options);
}

DicomOptions window_of(double center, double width) {
  DicomOptions o;
  o.window = "fixed";
  o.center = center;
  o.width = width;
  return o;
}

DicomOptions minmax_window() {
  DicomOptions o;
  o.window = "minmax";
  return o;
}

// One grey image, 8 bits, values as given.
SyntheticDicom grey8(std::vector<uint16_t> values, const std::string& photometric = "MONOCHROME2") {
  SyntheticDicom s;
  s.bits_allocated = s.bits_stored = 8;
  s.rows = 1;
  s.cols = static_cast<int>(values.size());
  s.values = std::move(values);
  s.photometric = photometric;
  return s;
}

}  // namespace

TEST_CASE("dicom: MONOCHROME1 is inverted (its lowest value is white), MONOCHROME2 is not", "[dicom]") {
  if (!dicom_available()) return;
  const auto mono2 = decode(dicom_bytes(grey8({0, 100, 200, 255})), minmax_window());
  CHECK(grey_values(mono2) == std::vector<uint8_t>{0, 100, 200, 255});
  const auto mono1 = decode(dicom_bytes(grey8({0, 100, 200, 255}, "MONOCHROME1")), minmax_window());
  CHECK(grey_values(mono1) == std::vector<uint8_t>{255, 155, 55, 0});
  // Inverted after the window, also under a fixed window and as RGB (replicated grey).
  const auto windowed = decode(dicom_bytes(grey8({0, 100, 200, 255}, "MONOCHROME1")), window_of(128, 256), 3);
  REQUIRE(windowed.type() == CV_8UC3);
  CHECK(windowed.at<cv::Vec3b>(0, 0) == cv::Vec3b(255, 255, 255));
  CHECK(windowed.at<cv::Vec3b>(0, 3) == cv::Vec3b(0, 0, 0));
}

TEST_CASE(
    "dicom: signed 16-bit with Rescale Slope/Intercept gives Hounsfield units, windowed by the linear VOI",
    "[dicom]") {
  if (!dicom_available()) return;
  SyntheticDicom s;
  s.modality = "CT";
  s.is_signed = true;
  s.rows = 1;
  s.cols = 6;
  // -2000, -1, 0, 1064, 1264, 3000 as 16-bit two's complement words
  for (int v : {-2000, -1, 0, 1064, 1264, 3000}) s.values.push_back(static_cast<uint16_t>(v));
  s.intercept = "-1024";
  s.slope = "1";
  const auto bytes = dicom_bytes(s);
  const DicomImage image = read_dicom(bytes, "ct.dcm", true);
  CHECK(image.info.modality == "CT");
  CHECK(image.info.is_signed);
  CHECK(image.info.bits_stored == 16);
  CHECK(image.values == std::vector<int32_t>{-2000, -1, 0, 1064, 1264, 3000});
  CHECK(rescaled_values(image) == std::vector<double>{-3024, -1025, -1024, 40, 240, 1976});

  // A soft-tissue window, center 40 width 400: PS3.3 C.11.2.1.2.1 with y in [0, 255]:
  // x <= 39.5 - 199.5 -> 0; x > 39.5 + 199.5 -> 255; else ((x - 39.5) / 399 + 0.5) * 255.
  const auto out = grey_values(decode(bytes, window_of(40, 400)));
  const auto expected_40 = static_cast<uint8_t>(std::lround(((40 - 39.5) / 399 + 0.5) * 255));  // 128
  CHECK(out == std::vector<uint8_t>{0, 0, 0, expected_40, 255, 255});
  CHECK(linear_voi(239, 40, 400) == Approx(1.0));
  CHECK(linear_voi(239.01, 40, 400) == 1.0);
  CHECK(linear_voi(-160, 40, 400) == 0.0);

  // Slope 2: HU = 2 x stored - 1024.
  s.slope = "2";
  const DicomImage doubled = read_dicom(dicom_bytes(s), "ct2.dcm", true);
  CHECK(rescaled_values(doubled)[3] == 2 * 1064 - 1024);

  // 12 bits stored in 16, signed: the bits above are not part of the value (an overlay may sit
  // there), and bit 11 is the sign.
  SyntheticDicom twelve;
  twelve.bits_stored = 12;
  twelve.is_signed = true;
  twelve.rows = 1;
  twelve.cols = 3;
  twelve.values = {0xF000 | 0x0FFF, 0x0800, 0x07FF};
  CHECK(read_dicom(dicom_bytes(twelve), "t.dcm", true).values == std::vector<int32_t>{-1, -2048, 2047});
  twelve.is_signed = false;
  CHECK(read_dicom(dicom_bytes(twelve), "t.dcm", true).values == std::vector<int32_t>{4095, 2048, 2047});
}

TEST_CASE("dicom: auto uses the file's window (or VOI LUT), an explicit window overrides it, minmax without",
          "[dicom]") {
  if (!dicom_available()) return;
  SyntheticDicom s;
  s.rows = 1;
  s.cols = 4;
  s.values = {0, 1000, 1100, 4000};
  s.center = "1050";
  s.width = "100";
  const auto bytes = dicom_bytes(s);
  // auto: the file's window 1050/100: x <= 1000 -> 0, x > 1099 -> 255.
  CHECK(grey_values(decode(bytes)) == std::vector<uint8_t>{0, 0, 255, 255});
  // An explicit window: 2000/4001 spans the values.
  const auto wide = grey_values(decode(bytes, window_of(2000, 4001)));
  CHECK(wide == std::vector<uint8_t>{0, 64, 70, 255});
  // minmax ignores the file's window.
  CHECK(grey_values(decode(bytes, minmax_window())) == std::vector<uint8_t>{0, 64, 70, 255});
  CHECK(choose_voi(read_dicom(bytes, "w.dcm", true).info, DicomOptions{}).describe() == "window 1050/100");

  // No window in the file: auto falls back to min-max.
  SyntheticDicom plain = s;
  plain.center = plain.width = "";
  CHECK(grey_values(decode(dicom_bytes(plain))) == std::vector<uint8_t>{0, 64, 70, 255});
  CHECK(choose_voi(read_dicom(dicom_bytes(plain), "p.dcm", true).info, DicomOptions{}).describe() ==
        "min-max");

  // A VOI LUT Sequence comes before the window: 4 entries of 8 bits from value 999.
  SyntheticDicom lut = s;
  lut.voi_lut.first_mapped = 999;
  lut.voi_lut.bits = 8;
  lut.voi_lut.data = {10, 20, 30, 40};
  const DicomImage lut_image = read_dicom(dicom_bytes(lut), "lut.dcm", true);
  CHECK(lut_image.info.has_voi_lut);
  CHECK(choose_voi(lut_image.info, DicomOptions{}).describe() == "VOI LUT");
  // 0 -> first entry, 1000 -> entry 1, 1100 and 4000 -> the last entry.
  CHECK(grey_values(decode(dicom_bytes(lut))) == std::vector<uint8_t>{10, 20, 40, 40});
  CHECK(grey_values(decode(dicom_bytes(lut), window_of(2000, 4001))) == wide);
}

TEST_CASE("dicom: data.dicom.window and data.dicom.frames in the config", "[dicom][config]") {
  const auto window = [](const std::string& yaml) {
    return parse_config("data: {dicom: {window: " + yaml + "}}", "t.yaml").data.dicom.window;
  };
  CHECK(window("auto").mode == "auto");
  CHECK(window("minmax").mode == "minmax");
  const DicomWindow map = window("{center: 40, width: 400}");
  CHECK(map.mode == "fixed");
  CHECK(map.center == 40);
  CHECK(map.width == 400);
  const DicomWindow list = window("[-600, 1500]");
  CHECK(list.mode == "fixed");
  CHECK(list.center == -600);
  CHECK(list.width == 1500);
  CHECK_THROWS_WITH(window("soft"), Catch::Contains("data.dicom.window") && Catch::Contains("center"));
  CHECK_THROWS_WITH(window("{center: 40}"), Catch::Contains("data.dicom.window"));
  CHECK_THROWS_WITH(window("{center: 40, width: 0.5}"),
                    Catch::Contains("data.dicom.window") && Catch::Contains("at least 1"));
  const RunConfig set =
      parse_config("data: {source: folder}", "t.yaml",
                   {"data.dicom.window={center: 40, width: 400}", "data.dicom.frames=error"});
  CHECK(set.data.dicom.window.mode == "fixed");
  CHECK(set.data.dicom.frames == "error");
  CHECK_THROWS_WITH(parse_config("data: {dicom: {frames: all}}", "t.yaml"),
                    Catch::Contains("data.dicom.frames"));
  // The resolved config (run folder, checkpoints) reads back the same.
  const RunConfig again = parse_config(to_yaml(set), "resolved");
  CHECK(again.data.dicom.window.center == 40);
  CHECK(again.data.dicom.window.width == 400);
  CHECK(to_yaml(set).find("window: {center: 40, width: 400}") != std::string::npos);
}

TEST_CASE("dicom: several frames: the first frame, or an error naming the file", "[dicom]") {
  if (!dicom_available()) return;
  SyntheticDicom s = grey8({10, 20, 30, 40, 50, 60, 70, 80});
  s.cols = 4;
  s.frames = 2;
  const auto bytes = dicom_bytes(s);
  const DicomImage first = read_dicom(bytes, "cine.dcm", true);
  CHECK(first.info.frames == 2);
  CHECK(first.values == std::vector<int32_t>{10, 20, 30, 40});
  DicomOptions error;
  error.first_frame = false;
  CHECK_THROWS_WITH(decode(bytes, error, 1, "cine.dcm"), Catch::Contains("cine.dcm") &&
                                                             Catch::Contains("2 frames") &&
                                                             Catch::Contains("data.dicom.frames"));
}

TEST_CASE("dicom: an unsupported transfer syntax or photometric interpretation is an error naming both",
          "[dicom]") {
  if (!dicom_available()) return;
  SyntheticDicom mpeg = grey8({1, 2, 3, 4});
  mpeg.transfer_syntax = "1.2.840.10008.1.2.4.102";
  mpeg.fragment = {0, 0, 1, 0xB3, 1, 2, 3, 4};
  CHECK_THROWS_AS(decode(dicom_bytes(mpeg), {}, 1, "clip.dcm"), DataError);
  CHECK_THROWS_WITH(decode(dicom_bytes(mpeg), {}, 1, "clip.dcm"),
                    Catch::Contains("clip.dcm") && Catch::Contains("1.2.840.10008.1.2.4.102") &&
                        Catch::Contains("MPEG-4") && Catch::Contains("not supported"));
  SyntheticDicom htj2k = mpeg;
  htj2k.transfer_syntax = "1.2.840.10008.1.2.4.201";
  CHECK_THROWS_WITH(decode(dicom_bytes(htj2k), {}, 1, "ht.dcm"),
                    Catch::Contains("ht.dcm") && Catch::Contains("High-Throughput JPEG 2000"));
  SyntheticDicom made_up = mpeg;
  made_up.transfer_syntax = "1.2.3.4";
  CHECK_THROWS_WITH(decode(dicom_bytes(made_up), {}, 1, "odd.dcm"),
                    Catch::Contains("odd.dcm") && Catch::Contains("1.2.3.4"));

  const auto palette = dicom_bytes(grey8({1, 2, 3, 4}, "PALETTE COLOR"));
  CHECK_THROWS_WITH(decode(palette, {}, 1, "pal.dcm"), Catch::Contains("pal.dcm") &&
                                                           Catch::Contains("PALETTE COLOR") &&
                                                           Catch::Contains("not supported"));
  CHECK_THROWS_WITH(decode({'n', 'o', 't'}, {}, 1, "junk.dcm"), Catch::Contains("junk.dcm"));
}

TEST_CASE("dicom: YBR_FULL is converted to RGB as PS3.3 C.7.6.3.1.2 gives", "[dicom]") {
  if (!dicom_available()) return;
  SyntheticDicom s;
  s.bits_allocated = s.bits_stored = 8;
  s.samples = 3;
  s.rows = s.cols = 1;
  s.photometric = "YBR_FULL";
  s.values = {128, 128, 255};  // Y 128, Cb 0, Cr +127: red
  const DicomImage image = read_dicom(dicom_bytes(s), "ybr.dcm", true);
  CHECK(image.values ==
        std::vector<int32_t>{255, 37, 128});  // 128 + 1.402 x 127 clipped; G 128 - 0.714 x 127
}

TEST_CASE("dicom: a folder of .dcm files loads through the folder source with the right labels", "[dicom]") {
  if (!dicom_available()) return;
  TempDir dir;
  // Class "bright" has values near 3000, "dark" near 100, as CT-like signed 16-bit data with a
  // window the files give: a label mix-up would show in the pixel means.
  for (int i = 0; i < 4; ++i)
    for (const auto& [cls, base] : {std::pair<std::string, int>{"bright", 3000}, {"dark", 100}}) {
      SyntheticDicom s;
      s.rows = s.cols = 28;
      s.values.assign(28 * 28, static_cast<uint16_t>(base + i));
      s.center = "1500";
      s.width = "3000";
      write_bytes(dir.path(cat("ds/train/", cls, "/", i, i % 2 ? ".DCM" : ".dcm")), dicom_bytes(s));
    }
  DataSection data = testing::folder_data(dir.path("ds"));
  data.channels = 3;
  RunConfig config;
  config.data = data;
  config.train.eval_batch_size = 8;
  auto loader = make_loader(config, "train", /*train=*/false);
  REQUIRE(loader->size() == 8);
  CHECK(loader->classes() == std::vector<std::string>{"bright", "dark"});
  loader->start_epoch(0);
  const auto batch = loader->next();
  REQUIRE(batch);
  REQUIRE(batch->images.size(1) == 3);
  for (int64_t i = 0; i < batch->images.size(0); ++i) {
    const double mean = batch->images[i].mean().item<double>() * 0.25 + 0.5;  // undo mean 0.5, std 0.25
    const int64_t label = batch->labels[i].item<int64_t>();
    INFO("sample " << i << " label " << label << " mean " << mean);
    CHECK((label == 0 ? mean > 0.9 : mean < 0.1));
  }

  // softvit train on the folder (one grey channel, the files' window).
  const std::string config_file = dir.write(
      "c.yaml", "model: {name: vit_mini_patch4_28, depth: 1, embed_dim: 32, num_heads: 2}\n"
                "data: {source: folder, root: " + dir.path("ds") +
                    ", val_split: train, test_split: train, channels: 1, mean: [0.5], std: [0.25], "
                    "dicom: {window: {center: 1500, width: 3000}, frames: error}}\n"
                    "train: {epochs: 2, batch_size: 4, eval_batch_size: 8}\n"
                    "schedule: {warmup_epochs: 0}\n"
                    "run: {log_every: 1, threads: 1}\n");
  const auto [status, text] = run_softvit("train --config " + config_file + " --output " + dir.path("run"));
  INFO(text);
  REQUIRE(status == 0);
  CHECK(std::filesystem::exists(dir.path("run/checkpoints/best.pt")));
  CHECK(text.find("unreadable") == std::string::npos);
}

TEST_CASE("dicom: CSV manifests and WebDataset members read .dcm images", "[dicom]") {
  if (!dicom_available()) return;
  TempDir dir;
  SyntheticDicom s = grey8(std::vector<uint16_t>(16, 200));
  s.rows = s.cols = 4;
  write_bytes(dir.path("csv/img/a.dcm"), dicom_bytes(s));
  dir.write("csv/train.csv", "path,label\nimg/a.dcm,cat\n");
  DataSection csv;
  csv.source = "csv";
  csv.root = dir.path("csv");
  DecodeOptions options;
  options.channels = 1;
  options.dicom = minmax_window();
  const auto from_csv = make_source(csv, "train")->read(0, options);
  REQUIRE(from_csv.error.empty());
  CHECK(from_csv.image.size() == cv::Size(4, 4));

  // A WebDataset sample whose image member is KEY.dcm.
  s.values.assign(16, 0);
  s.values[5] = 255;
  testing::write_shard(dir.path("wds/set-train-000000.tar"),
                       {{"s0.dcm", dicom_bytes(s)}, {"s0.cls", testing::text_bytes("1")}});
  DataSection wds = testing::shard_data(dir.path("wds"));
  wds.classes = {"a", "b"};
  wds.channels = 1;
  RunConfig config;
  config.data = wds;
  config.train.eval_batch_size = 1;
  auto loader = make_loader(config, "train", false);
  loader->start_epoch(0);
  const auto batch = loader->next();
  REQUIRE(batch);
  CHECK(batch->labels[0].item<int64_t>() == 1);
  CHECK(batch->images[0][0][1][1].item<float>() == Approx(1.0));  // the one bright pixel, min-max
  CHECK(batch->images[0][0][0][0].item<float>() == Approx(0.0));
}

TEST_CASE("dicom: without DICOM support a .dcm file is an error naming it and saying so", "[dicom]") {
  // In a build with GDCM the message comes from tests/dicom_off (built from dicom_reader_none.cpp);
  // here, where this build has no GDCM.
  if (dicom_supported()) {
    SUCCEED("built with DICOM support: the build without it is checked by softvit_dicom_off_check");
    return;
  }
  CHECK_THROWS_WITH(decode(dicom_bytes(grey8({1, 2})), {}, 1, "scan.dcm"),
                    Catch::Contains("scan.dcm") && Catch::Contains("built without DICOM support"));
}

TEST_CASE("dicom: data inspect counts modality, bit depth, photometric interpretation and transfer syntax",
          "[dicom][cli]") {
  if (!dicom_available()) return;
  TempDir dir;
  SyntheticDicom ct;
  ct.modality = "CT";
  ct.is_signed = true;
  ct.values = {0, 1, 2, 3};
  ct.intercept = "-1024";
  ct.slope = "1";
  SyntheticDicom mr = grey8({1, 2, 3, 4}, "MONOCHROME1");
  mr.rows = mr.cols = 2;
  mr.modality = "MR";
  write_bytes(dir.path("ds/train/a/1.dcm"), dicom_bytes(ct));
  write_bytes(dir.path("ds/train/a/2.dcm"), dicom_bytes(ct));
  write_bytes(dir.path("ds/train/b/1.dcm"), dicom_bytes(mr));
  const std::string config = dir.write("c.yaml", "data: {source: folder, root: " + dir.path("ds") +
                                                     ", val_split: train, test_split: train}\n");
  const auto [status, text] = run_softvit("data inspect --config " + config);
  INFO(text);
  CHECK(status == 0);
  CHECK(text.find("DICOM: 3 files") != std::string::npos);
  CHECK(text.find("modality: CT (2), MR (1)") != std::string::npos);
  CHECK(text.find("bit depth (stored of allocated): 16 of 16 bits, signed (2), 8 of 8 bits, unsigned (1)") !=
        std::string::npos);
  CHECK(text.find("photometric interpretation: MONOCHROME2 (2), MONOCHROME1 (1)") != std::string::npos);
  CHECK(text.find("transfer syntax: Explicit VR Little Endian (3)") != std::string::npos);
  CHECK(text.find("unreadable: 0") != std::string::npos);
}
