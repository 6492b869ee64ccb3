// The IDX reader against the Debian Fashion-MNIST files (reference values computed in Python
// with gzip and plain byte sums) and against malformed files made here.
#include <zlib.h>

#include <opencv2/core.hpp>
#include "catch.h"
#include "core/error.h"
#include "data/idx.h"
#include "data/sources/make_source.h"
#include "test_data.h"
#include "test_util.h"

using namespace softvit;

namespace {

const std::string kFashion = testing::kFashionMnist;

int64_t byte_sum(const IdxArray& a, size_t from, size_t to) {
  int64_t s = 0;
  for (size_t i = from; i < to; ++i) s += a.data[i];
  return s;
}

std::string idx_bytes(std::vector<int> dims, size_t payload) {
  std::string b = {0, 0, 8, static_cast<char>(dims.size())};
  for (int d : dims)
    for (int shift : {24, 16, 8, 0}) b += static_cast<char>((d >> shift) & 0xff);
  for (size_t i = 0; i < payload; ++i) b += static_cast<char>(i % 251);
  return b;
}

void write_gz(const std::string& path, const std::string& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(f);
}

}  // namespace

TEST_CASE("idx: Fashion-MNIST train and test files have the known labels and pixels", "[data][idx]") {
  if (!testing::fashion_mnist_available()) return;
  const IdxArray train_images = read_idx(kFashion + "/train-images-idx3-ubyte.gz");
  const IdxArray train_labels = read_idx(kFashion + "/train-labels-idx1-ubyte.gz");
  CHECK(train_images.shape == std::vector<int64_t>{60000, 28, 28});
  CHECK(train_labels.shape == std::vector<int64_t>{60000});
  CHECK(std::vector<int>(train_labels.data.begin(), train_labels.data.begin() + 10) ==
        std::vector<int>{9, 0, 0, 3, 0, 2, 7, 2, 5, 5});
  CHECK(byte_sum(train_images, 0, train_images.data.size()) == 3431114169LL);
  CHECK(byte_sum(train_images, 0, 784) == 76247);

  const IdxArray test_images = read_idx(kFashion + "/t10k-images-idx3-ubyte.gz");
  CHECK(test_images.shape == std::vector<int64_t>{10000, 28, 28});
  CHECK(byte_sum(test_images, 0, test_images.data.size()) == 573469082LL);
  CHECK(byte_sum(test_images, test_images.data.size() - 784, test_images.data.size()) == 24390);
}

TEST_CASE("idx: a split is a source with balanced classes and Fashion-MNIST names", "[data][idx]") {
  if (!testing::fashion_mnist_available()) return;
  DataSection data;
  data.root = kFashion;
  const SourcePtr test = make_source(data, "test");
  REQUIRE(test->size() == 10000);
  CHECK(std::vector<int64_t>{test->label(0), test->label(1), test->label(2), test->label(3)} ==
        std::vector<int64_t>{9, 2, 1, 1});
  std::vector<int64_t> counts(10, 0);
  int64_t pixel_sum = 0;
  for (int64_t i = 0; i < test->size(); ++i) {
    ++counts[static_cast<size_t>(test->label(i))];
    const cv::Mat pixels = test->load(i).pixels;
    REQUIRE(pixels.rows == 28);
    REQUIRE(pixels.cols == 28);
    pixel_sum += static_cast<int64_t>(cv::sum(pixels)[0]);
  }
  CHECK(counts == std::vector<int64_t>(10, 1000));
  CHECK(pixel_sum == 573469082LL);
  CHECK(test->classes().front() == "T-shirt/top");
  CHECK(make_source(data, "test", 25)->size() == 25);
}

TEST_CASE("idx: missing or foreign or truncated files are errors that name the file", "[data][idx]") {
  TempDir dir;
  CHECK_THROWS_WITH(read_idx(dir.path("none.gz")),
                    Catch::Contains("none.gz") && Catch::Contains("does not exist"));

  dir.write("text.idx", "hello, world");
  CHECK_THROWS_WITH(read_idx(dir.path("text.idx")),
                    Catch::Contains("text.idx") && Catch::Contains("not an IDX"));

  const std::string good = idx_bytes({3, 2, 2}, 12);
  dir.write("good.idx", good);
  CHECK(read_idx(dir.path("good.idx")).data.size() == 12);

  dir.write("short.idx", good.substr(0, good.size() - 5));
  CHECK_THROWS_WITH(read_idx(dir.path("short.idx")),
                    Catch::Contains("short.idx") && Catch::Contains("truncated"));

  write_gz(dir.path("short.gz"), good.substr(0, good.size() - 5));
  CHECK_THROWS_WITH(read_idx(dir.path("short.gz")),
                    Catch::Contains("short.gz") && Catch::Contains("truncated"));

  // A gzip stream cut in the middle: zlib itself reports the damage.
  write_gz(dir.path("full.gz"), idx_bytes({1000, 28, 28}, 1000 * 784));
  const std::string compressed = dir.path("full.gz");
  std::ifstream in(compressed, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  dir.write("cut.gz", bytes.substr(0, bytes.size() / 2));
  CHECK_THROWS_WITH(read_idx(dir.path("cut.gz")), Catch::Contains("cut.gz"));
}

TEST_CASE("idx: a dataset folder without the split's files is an error naming the folder", "[data][idx]") {
  TempDir dir;
  DataSection data;
  data.root = dir.path("absent");
  CHECK_THROWS_WITH(make_source(data, "train"),
                    Catch::Contains("absent") && Catch::Contains("does not exist"));
  data.root = dir.root.string();
  CHECK_THROWS_WITH(make_source(data, "train"), Catch::Contains("train-images-idx3-ubyte"));
}
