// Details of real-world files: EXIF orientation next to an XMP segment, a CSV saved by Excel (with
// a byte-order mark), GIF files in a folder dataset, which are said to be left out, and DICOM files
// there, which are read (and listed as unreadable when they are not DICOM after all).
#include "core/strings.h"
#include "data/jpeg_region.h"
#include "data/rng.h"
#include "data/sources/csv_source.h"
#include "data/sources/folder_source.h"
#include "data/sources/make_source.h"
#include "data/transforms/pipeline.h"
#include "data_test_util.h"

using namespace softvit;
using testing::encode_rgb;
using testing::write_bytes;

namespace {

// `jpeg` (SOI, then an Exif APP1 segment first) with an XMP APP1 segment after the Exif one, as
// cameras and editors write them.
std::vector<uint8_t> with_xmp_after_exif(const std::vector<uint8_t>& jpeg) {
  REQUIRE(jpeg[2] == 0xFF);
  REQUIRE(jpeg[3] == 0xE1);
  const size_t exif_end = 4 + ((size_t{jpeg[4]} << 8) | jpeg[5]);
  const std::string xmp = std::string("http://ns.adobe.com/xap/1.0/") + '\0' +
                          "<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF/></x:xmpmeta>";
  const size_t length = 2 + xmp.size();
  std::vector<uint8_t> out(jpeg.begin(), jpeg.begin() + static_cast<std::ptrdiff_t>(exif_end));
  for (uint8_t b :
       {uint8_t{0xFF}, uint8_t{0xE1}, static_cast<uint8_t>(length >> 8), static_cast<uint8_t>(length & 0xFF)})
    out.push_back(b);
  out.insert(out.end(), xmp.begin(), xmp.end());
  out.insert(out.end(), jpeg.begin() + static_cast<std::ptrdiff_t>(exif_end), jpeg.end());
  return out;
}

}  // namespace

TEST_CASE("jpeg: EXIF orientation survives an XMP segment after it, on the crop-only decode path",
          "[data][decode]") {
  // 64 x 32 landscape, left half dark; orientation 6 ("rotate 90 clockwise to display") makes it
  // 32 x 64 portrait with the dark half on top.
  cv::Mat rgb(32, 64, CV_8UC3, cv::Scalar(30, 30, 30));
  rgb(cv::Rect(32, 0, 32, 32)).setTo(cv::Scalar(220, 220, 220));
  const auto jpeg = with_xmp_after_exif(
      testing::with_exif_orientation(encode_rgb(rgb, ".jpg", {cv::IMWRITE_JPEG_QUALITY, 95}), 6));
  const auto header = read_jpeg_header(jpeg);
  REQUIRE(header);
  CHECK(header->orientation == 6);

  // resize(...) plans a crop, so the pipeline takes libjpeg's region decoder unless the image
  // must be turned first. The output size is fixed: only the content shows the orientation.
  const Pipeline pipeline({"resize(size=64x32)"}, "data.train_transforms", TransformContext{});
  RawImage raw;
  raw.encoded = jpeg;
  raw.name = "turned.jpg";
  Rng rng(1);
  DecodeOptions decode;
  const cv::Mat out = pipeline.run(raw, decode, /*roi_decode=*/true, rng);
  REQUIRE(out.size() == cv::Size(32, 64));
  CHECK(cv::mean(out(cv::Rect(0, 0, 32, 28)))[0] < 60);    // dark on top: turned upright
  CHECK(cv::mean(out(cv::Rect(0, 36, 32, 28)))[0] > 190);  // bright below
}

TEST_CASE("csv: a manifest saved by Excel (UTF-8 byte-order mark) reads its first column",
          "[data][sources]") {
  const auto rows = parse_csv("\xEF\xBB\xBFpath,label\r\na.png,1\r\n");
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].fields == std::vector<std::string>{"path", "label"});

  TempDir dir;
  write_bytes(dir.path("img/a.png"), encode_rgb(cv::Mat(3, 3, CV_8UC3, cv::Scalar(1, 2, 3)), ".png"));
  dir.write("train.csv", "\xEF\xBB\xBFpath,label\r\nimg/a.png,cat\r\n");
  DataSection d;
  d.source = "csv";
  d.root = dir.root.string();
  const auto source = make_source(d, "train");  // "no column 'path'" before
  REQUIRE(source->size() == 1);
  CHECK(source->classes() == std::vector<std::string>{"cat"});
}

TEST_CASE("folder source: GIF files are counted and named as left out; DICOM files are read, not skipped",
          "[data][sources]") {
  TempDir dir;
  const std::string root = dir.path("ds");
  write_bytes(root + "/train/cat/0.png", encode_rgb(cv::Mat(4, 4, CV_8UC3), ".png"));
  write_bytes(root + "/train/dog/0.png", encode_rgb(cv::Mat(4, 4, CV_8UC3), ".png"));
  for (const char* name : {"cat/b.dcm", "cat/a.DCM", "dog/scan.dicom"})
    dir.write(cat("ds/train/", name), "DICM");  // named as DICOM, but not DICOM: unreadable
  dir.write("ds/train/dog/anim.gif", "GIF89a");
  dir.write("ds/train/dog/later.GIF", "GIF89a");
  dir.write("ds/train/dog/notes.txt", "not an image, and not meant as one: no word about it");

  const FolderSource source(root + "/train", {}, /*skip_bad=*/false, 0);
  CHECK(source.size() == 5);  // the PNGs and the DICOM files
  const auto& notes = source.unread_notes();
  REQUIRE(notes.size() == 1);  // one line per reason
  CHECK(notes[0].find("2 files left out (GIF") != std::string::npos);
  CHECK(notes[0].find(root + "/train/dog/anim.gif") != std::string::npos);  // an example, the first by name
  CHECK(notes[0].find("notes.txt") == std::string::npos);

  // A class folder of GIF files only says why it has no images.
  dir.write("ds/val/cat/x.gif", "GIF89a");
  write_bytes(root + "/val/dog/0.png", encode_rgb(cv::Mat(4, 4, CV_8UC3), ".png"));
  CHECK_THROWS_WITH(FolderSource(root + "/val", {}, false, 0),
                    Catch::Contains("val/cat") && Catch::Contains("GIF"));

  // softvit data inspect shows the warning (once for the split) with the example, and the three
  // files that are not DICOM after all as unreadable, each named.
  const std::string config = dir.write("c.yaml", "data: {source: folder, root: " + root +
                                                     ", val_split: train, "
                                                     "test_split: train}\n");
  const auto [status, text] = run_softvit("data inspect --config " + config);
  INFO(text);
  CHECK(status == 0);
  const auto first = text.find("2 files left out (GIF");
  REQUIRE(first != std::string::npos);
  CHECK(text.find("2 files left out (GIF", first + 1) == std::string::npos);
  CHECK(text.find("unreadable: 3") != std::string::npos);
  CHECK(text.find(root + "/train/dog/scan.dicom: ") != std::string::npos);
}
