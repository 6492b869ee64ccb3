// The folder, csv, idx and synthetic sources against datasets written here with known contents.
#include "core/error.h"
#include "core/strings.h"
#include "data/sources/csv_source.h"
#include "data/sources/make_source.h"
#include "data_test_util.h"

using namespace softvit;
using testing::encode_rgb;
using testing::write_bytes;

namespace {

// root/train/{cat,dog}/ with 2 and 3 PNGs whose single pixel value encodes (class, index).
std::string small_folder(const TempDir& dir) {
  const std::string root = dir.path("folder");
  for (int k = 0; k < 2; ++k)
    write_bytes(cat(root, "/train/cat/c", k, ".png"),
                encode_rgb(cv::Mat(4, 6, CV_8UC3, cv::Scalar(10 + k, 0, 0)), ".png"));
  for (int k = 0; k < 3; ++k)
    write_bytes(cat(root, "/train/dog/d", k, ".png"),
                encode_rgb(cv::Mat(4, 6, CV_8UC3, cv::Scalar(20 + k, 0, 0)), ".png"));
  dir.write("folder/train/dog/notes.txt", "not an image");
  return root;
}

}  // namespace

TEST_CASE("folder source: sorted classes and files with their labels", "[data][sources]") {
  TempDir dir;
  DataSection d = testing::folder_data(small_folder(dir));
  const auto s = make_source(d, "train");
  CHECK(s->classes() == std::vector<std::string>{"cat", "dog"});
  REQUIRE(s->size() == 5);
  const std::vector<int64_t> labels = {0, 0, 1, 1, 1};
  const std::vector<int> first_value = {10, 11, 20, 21, 22};
  DecodeOptions rgb;
  for (int64_t i = 0; i < 5; ++i) {
    CHECK(s->label(i) == labels[i]);
    const auto decoded = s->read(i, rgb);
    REQUIRE(decoded.error.empty());
    CHECK(decoded.image.at<cv::Vec3b>(0, 0)[0] == first_value[i]);  // R channel first: RGB order
  }
  CHECK(make_source(d, "train", 2)->size() == 2);

  d.classes = {"dog", "cat"};  // an explicit order wins
  const auto ordered = make_source(d, "train");
  CHECK(ordered->label(0) == 0);
  CHECK(ordered->load(0).name.find("dog") != std::string::npos);
  d.root = dir.path("nowhere");
  CHECK_THROWS_WITH(make_source(d, "train"), Catch::Contains("nowhere") && Catch::Contains("does not exist"));
}

TEST_CASE("folder source: an empty class folder and an unknown class folder under both policies",
          "[data][sources][bad]") {
  TempDir dir;
  DataSection d = testing::folder_data(small_folder(dir));
  std::filesystem::create_directories(d.root + "/train/emu");
  CHECK_THROWS_WITH(make_source(d, "train"), Catch::Contains("emu") && Catch::Contains("empty"));
  d.on_error = "skip";
  const auto s = make_source(d, "train");
  CHECK(s->classes().size() == 3);  // the class keeps its place and index
  CHECK(s->size() == 5);
  REQUIRE(s->problems().size() == 1);
  CHECK(s->problems()[0].file.find("emu") != std::string::npos);

  d.on_error = "stop";
  d.classes = {"cat", "dog"};  // emu is not named: its label would be out of range
  CHECK_THROWS_WITH(make_source(d, "train"),
                    Catch::Contains("emu") && Catch::Contains("not one of the classes given"));
}

TEST_CASE("csv: RFC 4180 fields with quotes and line numbers", "[data][sources]") {
  const auto rows = parse_csv("a,b\r\n\"x, y\",\"say \"\"hi\"\"\"\n\n3,4");
  REQUIRE(rows.size() == 3);
  CHECK(rows[1].fields == std::vector<std::string>{"x, y", "say \"hi\""});
  CHECK(rows[2].line == 4);
  CHECK(rows[2].fields == std::vector<std::string>{"3", "4"});
}

TEST_CASE("csv source: class names or indices and a split column", "[data][sources]") {
  TempDir dir;
  for (int k = 0; k < 4; ++k)
    write_bytes(dir.path(cat("img/", k, ".png")),
                encode_rgb(cv::Mat(3, 3, CV_8UC3, cv::Scalar(k, k, k)), ".png"));
  dir.write("all.csv",
            "file,kind,part\nimg/0.png,zebra,train\nimg/1.png,ant,train\nimg/2.png,zebra,val\nimg/"
            "3.png,bee,train\n");
  DataSection d;
  d.source = "csv";
  d.root = dir.root.string();
  d.manifest = "all.csv";
  d.csv_path_column = "file";
  d.csv_label_column = "kind";
  d.csv_split_column = "part";
  const auto train = make_source(d, "train");
  CHECK(train->classes() == std::vector<std::string>{"ant", "bee", "zebra"});  // sorted names
  REQUIRE(train->size() == 3);
  CHECK(train->label(0) == 2);
  CHECK(train->label(1) == 0);
  CHECK(train->label(2) == 1);
  CHECK(train->load(2).name == dir.path("img/3.png"));
  CHECK(make_source(d, "val")->size() == 1);
  // On its own the val split (zebra only) would call zebra class 0; in the training split's
  // order, as validation and softvit eval label it, zebra stays class 2.
  CHECK(make_source(d, "val")->label(0) == 0);
  const auto val = make_source_for_classes(d, "val", train->classes());
  CHECK(val->classes() == train->classes());
  CHECK(val->label(0) == 2);

  dir.write("train.csv",
            "path,label\nimg/0.png,2\nimg/1.png,0\nimg/2.png,1\n");  // default manifest {split}.csv
  DataSection plain;
  plain.source = "csv";
  plain.root = dir.root.string();
  const auto numeric = make_source(plain, "train");
  CHECK(numeric->classes() == std::vector<std::string>{"0", "1", "2"});
  CHECK(numeric->label(0) == 2);

  d.csv_label_column = "species";
  CHECK_THROWS_WITH(make_source(d, "train"), Catch::Contains("all.csv") && Catch::Contains("species"));
}

TEST_CASE("csv source: multi-label columns", "[data][sources]") {
  TempDir dir;
  dir.write("m.csv", "path,effusion,mass,nodule\na.png,1,0,1\nb.png,0,0,0\nc.png,0,1,0\n");
  DataSection d;
  d.source = "csv";
  d.root = dir.root.string();
  d.manifest = "m.csv";
  d.csv_label_columns = {"effusion", "mass", "nodule"};
  const auto s = make_source(d, "train");
  CHECK(s->multi_label());
  CHECK(s->classes() == std::vector<std::string>{"effusion", "mass", "nodule"});
  CHECK(s->labels(0) == std::vector<uint8_t>{1, 0, 1});
  CHECK(s->labels(2) == std::vector<uint8_t>{0, 1, 0});
}

TEST_CASE("csv source: bad rows and out-of-range labels under both policies", "[data][sources][bad]") {
  TempDir dir;
  dir.write("bad.csv", "path,label\na.png,1\nb.png\nc.png,7\n,0\nd.png,\ne.png,0\n");
  DataSection d;
  d.source = "csv";
  d.root = dir.root.string();
  d.manifest = "bad.csv";
  d.classes = {"no", "yes"};
  CHECK_THROWS_WITH(make_source(d, "train"), Catch::Contains("bad.csv:3") && Catch::Contains("fields"));
  d.on_error = "skip";
  const auto s = make_source(d, "train");
  REQUIRE(s->size() == 2);  // a.png and e.png
  CHECK(s->label(0) == 1);
  CHECK(s->label(1) == 0);
  std::vector<std::string> where;
  for (const auto& p : s->problems()) where.push_back(p.file);
  const std::string base = dir.path("bad.csv");
  CHECK(where == std::vector<std::string>{base + ":3", base + ":5", base + ":6", base + ":4"});
  CHECK(s->problems().back().reason.find("out of range") != std::string::npos);

  dir.write("multi.csv", "path,x,y\na.png,1,2\n");
  d.manifest = "multi.csv";
  d.classes = {};
  d.csv_label_columns = {"x", "y"};
  d.on_error = "stop";
  CHECK_THROWS_WITH(make_source(d, "train"), Catch::Contains("multi.csv:2") && Catch::Contains("0 or 1"));
}

TEST_CASE("idx source: Fashion-MNIST test split with names and balanced classes", "[data][sources]") {
  if (!testing::fashion_mnist_available()) return;
  DataSection d;  // defaults: Debian's Fashion-MNIST
  const auto s = make_source(d, "test");
  REQUIRE(s->size() == 10000);
  CHECK(s->classes().front() == "T-shirt/top");
  std::vector<int64_t> counts(10, 0);
  for (int64_t i = 0; i < s->size(); ++i) ++counts[s->label(i)];
  CHECK(counts == std::vector<int64_t>(10, 1000));
  CHECK(s->label(0) == 9);  // the same first labels the IDX test reads
  CHECK(cv::sum(s->load(9999).pixels)[0] == 24390);
  CHECK(make_source(d, "test", 25)->size() == 25);
}

TEST_CASE("synthetic source: deterministic images whose stripes follow the class", "[data][sources]") {
  DataSection d;
  d.source = "synthetic";
  d.synthetic_samples = 20;
  d.synthetic_size = 16;
  d.synthetic_classes = 4;
  const auto a = make_source(d, "train"), b = make_source(d, "train"), other = make_source(d, "val");
  CHECK(a->size() == 20);
  CHECK(a->classes().size() == 4);
  CHECK(a->label(6) == 2);
  const cv::Mat x = a->load(6).pixels, y = b->load(6).pixels;
  CHECK(x.size() == cv::Size(16, 16));
  CHECK(x.channels() == 3);
  CHECK(cv::norm(x, y, cv::NORM_INF) == 0);
  CHECK(cv::norm(x, other->load(6).pixels, cv::NORM_INF) > 0);
  // Class 0 stripes run along y (angle 0): columns vary much more than rows.
  const cv::Mat c0 = a->load(0).pixels;
  cv::Mat gray;
  cv::cvtColor(c0, gray, cv::COLOR_RGB2GRAY);
  cv::Mat gx, gy;
  cv::Sobel(gray, gx, CV_32F, 1, 0);
  cv::Sobel(gray, gy, CV_32F, 0, 1);
  CHECK(cv::norm(gx) > 2 * cv::norm(gy));
}
