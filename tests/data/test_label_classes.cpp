// Labels that are indices make the classes "0".."K-1" only when every class up to the largest
// label has a sample: one stray label (255 among 0/1, 9 among 0-4, a typo among indices) is an
// error naming the file, the row and the value, not a model with extra empty classes. (The npz case
// is in test_npz_source.cpp, on that file's fixtures.)
#include "core/error.h"
#include "core/strings.h"
#include "data/sources/index_classes.h"
#include "data/sources/make_source.h"
#include "data_test_util.h"

using namespace softvit;

TEST_CASE("labels: a stray 9 or a typo among numeric CSV labels names the line and the value",
          "[data][labels]") {
  TempDir dir;
  DataSection d;
  d.source = "csv";
  d.root = dir.root.string();
  d.manifest = "m.csv";
  dir.write("m.csv", "path,label\na.png,0\nb.png,1\nc.png,2\nd.png,3\ne.png,9\nf.png,4\n");
  CHECK_THROWS_WITH(make_source(d, "train"),
                    Catch::Contains("m.csv:6") && Catch::Contains("label 9") && Catch::Contains("5..8"));
  dir.write("m.csv", "path,label\na.png,0\nb.png,1\nc.png,2\nd.png,3\ne.png,l\nf.png,4\n");  // l for 1
  CHECK_THROWS_WITH(make_source(d, "train"), Catch::Contains("m.csv:6") && Catch::Contains("'l'") &&
                                                 Catch::Contains("not a class index"));
  // Declared classes: names and indices of them are both fine.
  d.classes = {"a", "b", "c", "d", "e", "l"};
  CHECK(make_source(d, "train")->size() == 6);
}

TEST_CASE("labels: index_classes accepts every class present and pads to a minimum", "[data][labels]") {
  const auto where = [](size_t i) { return cat("row ", i); };
  CHECK(index_classes({1, 0, 1}, 2, where) == std::vector<std::string>{"0", "1"});
  CHECK(index_classes({0, 0}, 2, where) == std::vector<std::string>{"0", "1"});  // the format's two classes
  CHECK(index_classes({0, 1, 2}, 10, where).size() == 10);                       // MNIST family
  CHECK_THROWS_WITH(index_classes({0, 3, 1}, 2, where),
                    Catch::Contains("row 1") && Catch::Contains("label 3") && Catch::Contains("class 2 has"));
}
