// The .npy parser and the npz source against the shared MedMNIST files. Reference values were
// computed independently with NumPy (numpy.load on the .npz; shapes, numpy.bincount of the
// labels, sums of the uint8 pixels as int64) when the test was written.
#include <zip.h>

#include "core/error.h"
#include "data/sources/make_source.h"
#include "data/sources/npy.h"
#include "data/sources/npz_source.h"
#include "data_test_util.h"

using namespace softvit;

namespace {

std::vector<uint8_t> npy_bytes(const std::string& dict, const std::vector<uint8_t>& data) {
  std::string header = dict;
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  const uint8_t prefix[10] = {0x93,
                              'N',
                              'U',
                              'M',
                              'P',
                              'Y',
                              1,
                              0,
                              static_cast<uint8_t>(header.size() & 0xFF),
                              static_cast<uint8_t>(header.size() >> 8)};
  std::vector<uint8_t> out(10 + header.size() + data.size());
  std::copy(prefix, prefix + 10, out.begin());
  std::copy(header.begin(), header.end(), out.begin() + 10);
  std::copy(data.begin(), data.end(), out.begin() + 10 + static_cast<long>(header.size()));
  return out;
}

void write_npz(const std::string& path,
               const std::vector<std::pair<std::string, std::vector<uint8_t>>>& members) {
  int error = 0;
  zip_t* z = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
  REQUIRE(z != nullptr);
  std::vector<std::vector<uint8_t>> keep;  // libzip reads the buffers at zip_close
  for (const auto& [name, bytes] : members) {
    keep.push_back(bytes);
    zip_source_t* src = zip_source_buffer(z, keep.back().data(), keep.back().size(), 0);
    REQUIRE(zip_file_add(z, (name + ".npy").c_str(), src, ZIP_FL_OVERWRITE) >= 0);
  }
  REQUIRE(zip_close(z) == 0);
}

// An .npz with a train split of 1x1 images and these labels.
std::string npz_with_labels(const TempDir& dir, const std::vector<uint8_t>& labels) {
  const std::string path = dir.path("labels.npz");
  const std::string n = std::to_string(labels.size());
  write_npz(
      path,
      {{"train_images", npy_bytes("{'descr': '|u1', 'fortran_order': False, 'shape': (" + n + ", 1, 1), }",
                                  std::vector<uint8_t>(labels.size(), 7))},
       {"train_labels",
        npy_bytes("{'descr': '|u1', 'fortran_order': False, 'shape': (" + n + ", 1), }", labels)}});
  return path;
}

int64_t pixel_sum(const Source& s) {
  int64_t total = 0;
  for (int64_t i = 0; i < s.size(); ++i) total += static_cast<int64_t>(cv::sum(s.load(i).pixels)[0]);
  return total;
}

}  // namespace

TEST_CASE("npy: header fields and data of version 1 arrays", "[data][npz]") {
  const auto bytes =
      npy_bytes("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3), }", {1, 2, 3, 4, 5, 6});
  const NpyArray a = parse_npy(bytes, "a.npy");
  CHECK(a.dtype == "|u1");
  CHECK(a.shape == std::vector<int64_t>{2, 3});
  CHECK_FALSE(a.fortran_order);
  CHECK(a.data == std::vector<uint8_t>{1, 2, 3, 4, 5, 6});
  CHECK(parse_npy(npy_bytes("{'descr': '|u1', 'fortran_order': False, 'shape': (4,), }", {9, 8, 7, 6}), "b")
            .shape == std::vector<int64_t>{4});

  CHECK_THROWS_WITH(
      parse_npy(npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", {0, 0, 0, 0}),
                "f.npy"),
      Catch::Contains("f.npy") && Catch::Contains("<f4"));
  CHECK_THROWS_WITH(
      parse_npy(npy_bytes("{'descr': '|u1', 'fortran_order': True, 'shape': (2, 2), }", {1, 2, 3, 4}),
                "t.npy"),
      Catch::Contains("Fortran"));
  CHECK_THROWS_WITH(
      parse_npy(npy_bytes("{'descr': '|u1', 'fortran_order': False, 'shape': (5, 5), }", {1, 2}), "s.npy"),
      Catch::Contains("s.npy") && Catch::Contains("truncated"));
  CHECK_THROWS_WITH(parse_npy({'x', 'y', 'z', 0, 0, 0, 0, 0, 0, 0, 0}, "junk.npy"),
                    Catch::Contains("bad magic"));
}

TEST_CASE("npz: BreastMNIST and PneumoniaMNIST splits match NumPy", "[data][npz]") {
  const std::string shared = testing::shared_dir();
  if (shared.empty()) return;
  const std::string dir = shared + "/data/medmnist/";
  struct Expect {
    std::string file, split;
    int64_t n, class0, class1, pixels, first_label;
  };
  const std::vector<Expect> expected = {
      {"breastmnist.npz", "train", 546, 147, 399, 35757482, 1},
      {"breastmnist.npz", "val", 78, 21, 57, 5282574, 0},
      {"breastmnist.npz", "test", 156, 42, 114, 10478773, 0},
      {"pneumoniamnist.npz", "train", 3882, 388, 3494, 447494718, 1},
      {"pneumoniamnist.npz", "val", 524, 135, 389, 59624090, 1},
      {"pneumoniamnist.npz", "test", 624, 234, 390, 70355184, 1},
  };
  for (const auto& e : expected) {
    DataSection d;
    d.source = "npz";
    d.root = dir + e.file;
    const SourcePtr s = make_source(d, e.split);
    INFO(e.file << " " << e.split);
    CHECK(s->size() == e.n);
    CHECK(s->classes() == std::vector<std::string>{"0", "1"});
    CHECK(s->native_channels() == 1);
    int64_t counts[2] = {0, 0};
    for (int64_t i = 0; i < s->size(); ++i) ++counts[s->label(i)];
    CHECK(counts[0] == e.class0);
    CHECK(counts[1] == e.class1);
    CHECK(s->label(0) == e.first_label);
    CHECK(pixel_sum(*s) == e.pixels);
  }
  DataSection d;
  d.source = "npz";
  d.root = dir + "breastmnist.npz";
  const auto first = make_source(d, "train")->load(0).pixels;
  CHECK(first.size() == cv::Size(28, 28));
  CHECK(first.at<uint8_t>(14, 0) == 123);  // numpy: train_images[0, 14, :4] == [123, 134, 139, 145]
  CHECK(first.at<uint8_t>(14, 3) == 145);
  CHECK(make_source(d, "val", 10)->size() == 10);
}

TEST_CASE("npz: colour and multi-label arrays and bad archives", "[data][npz]") {
  TempDir dir;
  // 3 images of 2 x 2 x 3; labels 3 x 2 (multi-label).
  std::vector<uint8_t> pixels(3 * 2 * 2 * 3);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>(i);
  write_npz(dir.path("multi.npz"),
            {{"train_images",
              npy_bytes("{'descr': '|u1', 'fortran_order': False, 'shape': (3, 2, 2, 3), }", pixels)},
             {"train_labels",
              npy_bytes("{'descr': '|u1', 'fortran_order': False, 'shape': (3, 2), }", {1, 0, 0, 1, 1, 1})}});
  DataSection d;
  d.source = "npz";
  d.root = dir.path("multi.npz");
  const auto s = make_source(d, "train");
  CHECK(s->multi_label());
  CHECK(s->native_channels() == 3);
  CHECK(s->labels(1) == std::vector<uint8_t>{0, 1});
  CHECK(s->labels(2) == std::vector<uint8_t>{1, 1});
  CHECK(s->load(1).pixels.at<cv::Vec3b>(0, 1) == cv::Vec3b(15, 16, 17));  // image 1 starts at byte 12

  CHECK_THROWS_WITH(make_source(d, "test"), Catch::Contains("multi.npz") && Catch::Contains("test_images"));
  dir.write("broken.npz", "PK this is not really a zip file");
  d.root = dir.path("broken.npz");
  CHECK_THROWS_WITH(make_source(d, "train"), Catch::Contains("broken.npz"));
  d.root = dir.path("missing.npz");
  CHECK_THROWS_WITH(make_source(d, "train"),
                    Catch::Contains("missing.npz") && Catch::Contains("does not exist"));

  // A label beyond the named classes: an error naming the sample, or skipped.
  write_npz(dir.path("labels.npz"),
            {{"train_images",
              npy_bytes("{'descr': '|u1', 'fortran_order': False, 'shape': (3, 1, 1), }", {1, 2, 3})},
             {"train_labels",
              npy_bytes("{'descr': '|u1', 'fortran_order': False, 'shape': (3, 1), }", {0, 5, 1})}});
  d.root = dir.path("labels.npz");
  d.classes = {"a", "b"};
  CHECK_THROWS_WITH(make_source(d, "train"),
                    Catch::Contains("labels.npz:train[1]") && Catch::Contains("out of range"));
  d.on_error = "skip";
  const auto kept = make_source(d, "train");
  CHECK(kept->size() == 2);
  CHECK(kept->label(1) == 1);
  REQUIRE(kept->problems().size() == 1);
  CHECK(kept->problems()[0].file == d.root + ":train[1]");
}

TEST_CASE("labels: a stray index in an npz is an error naming the row and the value", "[data][labels]") {
  TempDir dir;
  DataSection d;
  d.source = "npz";
  d.root = npz_with_labels(dir, {0, 1, 1, 0, 255, 1});
  CHECK_THROWS_WITH(make_source(d, "train"), Catch::Contains("labels.npz:train[4]") &&
                                                 Catch::Contains("label 255") && Catch::Contains("2..254") &&
                                                 Catch::Contains("data.classes"));
  // Even when only the first rows are used (data.limit_*): the classes come from every label.
  CHECK_THROWS_WITH(make_source(d, "train", 2), Catch::Contains("label 255"));

  // The same labels with the classes declared: 255 is out of range for the two named classes.
  d.classes = {"malignant", "benign"};
  CHECK_THROWS_WITH(make_source(d, "train"), Catch::Contains("train[4]") && Catch::Contains("out of range"));

  d.classes = {};
  d.root = npz_with_labels(dir, {0, 1, 2, 1, 0});  // every class present: fine
  CHECK(make_source(d, "train")->classes() == std::vector<std::string>{"0", "1", "2"});
}
