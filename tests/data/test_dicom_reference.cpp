// softvit's DICOM reading against pydicom's, on the real files pydicom's wheel ships
// (pydicom/data/test_files; none is copied into this repository). scripts/dicom_reference.py
// writes pydicom's pixel_array, apply_modality_lut and apply_voi_lut (and apply_windowing with a
// fixed window) for each file's first frame; this test reads the same files with read_dicom and
// compares:
//   - lossless syntaxes: stored values and rescaled values exactly, windowed values (both on
//     [0, 1]) to 1e-9, and the 8-bit image to +-1 level (rounding of an exact .5);
//   - lossy ones (JPEG baseline/extended, lossy JPEG 2000, near-lossless JPEG-LS; decoded by other
//     libraries: IJG/OpenJPEG/CharLS in GDCM, libjpeg/OpenJPEG/CharLS in pylibjpeg): the mean
//     absolute difference of the stored values within 0.2% of the stored range and every value
//     within 2% (measured 2026-12-07: JPEG at most 3 of 255, mean 0.12; 12-bit JPEG at most 1 of
//     4095; the JPEG 2000 and JPEG-LS files not at all), windowed values within a mean of 0.01.
// Skipped with a message where no python has pydicom, numpy and the pylibjpeg plugins (scripts/
// setup.sh installs them into its venv), or where the build has no DICOM support.
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include "core/strings.h"
#include "data/dicom/dicom_image.h"
#include "data/dicom/dicom_window.h"
#include "data/sources/source.h"
#include "data_test_util.h"
#include "dicom_test_util.h"
#include "python_test_util.h"

using namespace softvit;
using testing::quoted;

namespace {

struct ReferenceFile {
  const char* name;     // in pydicom's test files
  bool lossy;           // compared with a tolerance
  const char* softvit;  // the file softvit reads, when another than `name` (see below)
};

// Lossless: every transfer syntax softvit reads without loss, grey and colour, both byte orders,
// signed and unsigned, 8 and 16 bits, 12 bits stored with overlay bits above, YBR_FULL_422, RLE
// with several frames. Lossy: JPEG baseline (RGB, YBR_FULL, YBR_FULL_422, several frames), 12-bit
// JPEG extended, lossy JPEG 2000, near-lossless JPEG-LS.
const ReferenceFile kFiles[] = {
    {"CT_small.dcm", false, nullptr},
    {"MR_small.dcm", false, nullptr},
    {"MR_small_implicit.dcm", false, nullptr},
    {"MR_small_expb.dcm", false, nullptr},
    {"MR_small_bigendian.dcm", false, nullptr},
    {"MR_small_RLE.dcm", false, nullptr},
    {"MR_small_jpeg_ls_lossless.dcm", false, nullptr},
    {"MR_small_jp2klossless.dcm", false, nullptr},
    {"J2K_pixelrep_mismatch.dcm", false, nullptr},
    {"examples_overlay.dcm", false, nullptr},
    {"ExplVR_BigEnd.dcm", false, nullptr},
    {"SC_rgb_small_odd.dcm", false, nullptr},
    {"SC_rgb_small_odd_big_endian.dcm", false, nullptr},
    {"SC_rgb_jpeg_dcmd.dcm", false, nullptr},
    {"examples_rgb_color.dcm", false, nullptr},
    {"SC_rgb_rle.dcm", false, nullptr},
    {"SC_rgb_rle_2frame.dcm", false, nullptr},
    {"SC_rgb_jpeg_gdcm.dcm", false, nullptr},
    {"SC_ybr_full_422_uncompressed.dcm", false, nullptr},
    {"examples_jpeg2k.dcm", false, nullptr},
    // JPEG-lossy.dcm has a misplaced marker that pydicom's decoders refuse; JPGExtended.dcm is the
    // same image with it fixed. softvit reads the damaged one and is compared with pydicom's reading
    // of the fixed one (and reads the fixed one too).
    {"JPGExtended.dcm", true, "JPEG-lossy.dcm"},
    {"JPGExtended.dcm", true, nullptr},
    {"693_J2KI.dcm", true, nullptr},
    {"JPEG2000.dcm", true, nullptr},
    {"JPEGLSNearLossless_08.dcm", true, nullptr},
    {"JPEGLSNearLossless_16.dcm", true, nullptr},
    {"SC_rgb_jpeg_dcmtk.dcm", true, nullptr},
    {"SC_rgb_jpeg_lossy_gdcm.dcm", true, nullptr},
    {"SC_rgb_dcmtk_+eb+cy+np.dcm", true, nullptr},
    {"SC_rgb_dcmtk_+eb+cy+s4.dcm", true, nullptr},
    {"SC_rgb_gdcm_KY.dcm", true, nullptr},
    {"examples_ybr_color.dcm", true, nullptr},
};

// A python with pydicom, numpy and the pylibjpeg plugins, or "".
std::string python_with_pydicom() {
  for (const auto& python : testing::python_candidates()) {
    if (python.empty()) continue;
    const std::string probe =
        quoted(python) + " -c 'import pydicom, numpy, pylibjpeg, libjpeg, openjpeg, rle' >/dev/null 2>&1";
    if (std::system(probe.c_str()) == 0) return python;
  }
  return "";
}

std::vector<double> read_f64(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  REQUIRE(in);
  const auto size = static_cast<size_t>(in.tellg());
  std::vector<double> values(size / sizeof(double));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(values.data()),
          static_cast<std::streamsize>(values.size() * sizeof(double)));
  return values;
}

struct Difference {
  double max = 0, mean = 0;
};

template <typename A, typename B>
Difference difference(const std::vector<A>& a, const std::vector<B>& b) {
  REQUIRE(a.size() == b.size());
  Difference d;
  for (size_t i = 0; i < a.size(); ++i) {
    const double e = std::abs(static_cast<double>(a[i]) - static_cast<double>(b[i]));
    d.max = std::max(d.max, e);
    d.mean += e;
  }
  if (!a.empty()) d.mean /= static_cast<double>(a.size());
  return d;
}

}  // namespace

TEST_CASE("dicom reference: softvit decodes pydicom's test files as pydicom does", "[dicom][reference]") {
  if (!testing::dicom_available()) return;
  const std::string python = python_with_pydicom();
  if (python.empty()) {
    WARN(
        "softvit test skipped: no python with pydicom, numpy and pylibjpeg (-libjpeg, -openjpeg, -rle); "
        "scripts/setup.sh installs them into its venv, or set SOFTVIT_PYTHON");
    return;
  }
  TempDir dir;
  std::string names;
  for (const auto& f : kFiles) names += " " + quoted(f.name);
  const auto run = run_shell(quoted(python) + " " +
                             quoted(std::string(SOFTVIT_SOURCE_DIR) + "/scripts/dicom_reference.py") + " " +
                             quoted(dir.root.string()) + names);
  INFO(run.text);
  REQUIRE(run.status == 0);
  std::ifstream manifest_file(dir.path("manifest.json"));
  const auto manifest = nlohmann::json::parse(manifest_file);
  if (!manifest["missing"].empty()) {
    WARN("softvit test skipped: pydicom " << manifest["pydicom"].get<std::string>()
                                          << " lacks test files: " << manifest["missing"].dump());
    return;
  }
  std::map<std::string, nlohmann::json> by_name;
  for (const auto& entry : manifest["files"]) by_name[entry["name"].get<std::string>() + ".dcm"] = entry;

  int compared = 0;
  for (const auto& file : kFiles) {
    const nlohmann::json& ref = by_name.at(file.name);
    INFO("file " << file.name << (file.softvit ? cat(" (softvit reads ", file.softvit, ")") : std::string()));
    REQUIRE_FALSE(ref.contains("error"));
    std::string path = ref["path"].get<std::string>();
    if (file.softvit) path = (std::filesystem::path(path).parent_path() / file.softvit).string();
    const auto bytes = load_file(path).encoded;
    const DicomImage image = read_dicom(bytes, path, /*first_frame=*/true);
    const DicomInfo& info = image.info;

    // Header fields.
    CHECK(info.modality == ref["modality"].get<std::string>());
    CHECK(info.photometric == ref["photometric"].get<std::string>());
    if (!file.softvit) CHECK(info.transfer_syntax_uid == ref["transfer_syntax"].get<std::string>());
    CHECK(info.rows == ref["rows"].get<int>());
    CHECK(info.cols == ref["cols"].get<int>());
    CHECK(info.frames == ref["frames"].get<int>());
    CHECK(info.samples == ref["samples"].get<int>());
    CHECK(info.bits_allocated == ref["bits_allocated"].get<int>());
    CHECK(info.bits_stored == ref["bits_stored"].get<int>());
    CHECK(info.is_signed == ref["signed"].get<bool>());
    CHECK(info.rescale_slope == ref["rescale_slope"].get<double>());
    CHECK(info.rescale_intercept == ref["rescale_intercept"].get<double>());
    CHECK(info.window_centers == ref["window_centers"].get<std::vector<double>>());
    CHECK(info.window_widths == ref["window_widths"].get<std::vector<double>>());
    CHECK(info.has_voi_lut == ref["has_voi_lut"].get<bool>());

    // Stored values (colour: RGB, as pydicom's pixel_array converts YBR).
    const bool colour = info.samples == 3;
    const auto expected = read_f64(dir.path(ref[colour ? "rgb" : "stored"].get<std::string>()));
    const Difference stored = difference(image.values, expected);
    const double range = std::ldexp(1.0, info.bits_stored) - 1;
    INFO("stored values: max difference " << stored.max << ", mean " << stored.mean << " (range " << range
                                          << ")");
    if (file.lossy) {
      CHECK(stored.mean <= 0.002 * range);
      CHECK(stored.max <= 0.02 * range);
    } else {
      CHECK(stored.max == 0);
    }
    if (colour) {
      ++compared;
      continue;
    }

    // Rescaled (modality LUT) values.
    const auto rescaled = rescaled_values(image);
    const auto expected_rescaled = read_f64(dir.path(ref["rescaled"].get<std::string>()));
    const Difference rescale = difference(rescaled, expected_rescaled);
    INFO("rescaled: max difference " << rescale.max);
    if (!file.lossy) CHECK(rescale.max == 0);

    // Windowed values: the file's own (auto), then a fixed window; on [0, 1].
    const auto check_voi = [&](const VoiChoice& voi, const std::string& key, const char* what) {
      const auto mine = voi_values(rescaled, info, voi);
      const auto theirs = read_f64(dir.path(ref[key].get<std::string>()));
      const Difference d = difference(mine, theirs);
      INFO(what << " (" << voi.describe() << "): max difference " << d.max << ", mean " << d.mean);
      if (file.lossy) {
        CHECK(d.mean <= 0.01);
      } else {
        CHECK(d.max <= 1e-9);
        // The 8-bit image softvit trains on: pydicom's value x 255, rounded (+-1 at an exact .5).
        DicomOptions options;
        if (voi.kind == VoiChoice::kWindow && key == "fixed") {
          options.window = "fixed";
          options.center = voi.center;
          options.width = voi.width;
        }
        if (info.photometric == "MONOCHROME2") {
          const cv::Mat eight = dicom_to_8bit(image, options);
          std::vector<double> scaled(theirs.size());
          for (size_t i = 0; i < scaled.size(); ++i) scaled[i] = theirs[i] * 255;
          const std::vector<uint8_t> pixels(eight.ptr<uint8_t>(), eight.ptr<uint8_t>() + eight.total());
          CHECK(difference(pixels, scaled).max <= 0.5 + 1e-9);
        }
      }
    };
    if (ref.contains("voi")) {
      const VoiChoice voi = choose_voi(info, DicomOptions{});
      CHECK(voi.kind != VoiChoice::kMinMax);
      check_voi(voi, "voi", "the file's window");
    }
    VoiChoice fixed;
    fixed.kind = VoiChoice::kWindow;
    fixed.center = ref["fixed_center"].get<double>();
    fixed.width = ref["fixed_width"].get<double>();
    check_voi(fixed, "fixed", "a fixed window");
    ++compared;
  }
  CHECK(compared == static_cast<int>(std::size(kFiles)));

  // Files pydicom's test set holds that are not compared: 16-bit RGB in RLE, which GDCM 3.0
  // decodes with its byte segments in the wrong order, is refused by name; the deflated file
  // (pydicom finds no pixel data in it) is read.
  const auto folder =
      std::filesystem::path(by_name.at("CT_small.dcm")["path"].get<std::string>()).parent_path();
  const std::string rle16 = (folder / "SC_rgb_rle_16bit.dcm").string();
  CHECK_THROWS_WITH(read_dicom(load_file(rle16).encoded, rle16, true),
                    Catch::Contains("SC_rgb_rle_16bit.dcm") && Catch::Contains("RLE Lossless") &&
                        Catch::Contains("16-bit colour"));
  const std::string deflated = (folder / "image_dfl.dcm").string();
  const DicomImage image = read_dicom(load_file(deflated).encoded, deflated, true);
  CHECK(image.info.transfer_syntax_name == "Deflated Explicit VR Little Endian");
  CHECK(image.values.size() == 512u * 512u);
}
