// The IDX reader against the Debian Fashion-MNIST files (reference values computed in Python
// with gzip and plain byte sums) and against malformed files made here.
#include <zlib.h>

#include "catch.h"
#include "core/error.h"
#include "data/dataset.h"
#include "data/idx.h"
#include "test_util.h"

using namespace softvit;

namespace {

const std::string kFashion = "/usr/share/datasets/fashion-mnist";

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

TEST_CASE("idx: a split loads as tensors with balanced classes and Fashion-MNIST names", "[data][idx]") {
  DataSection data;
  data.root = kFashion;
  const TensorDataset test = load_split(data, "test");
  CHECK(test.images.sizes() == torch::IntArrayRef{10000, 1, 28, 28});
  CHECK(test.labels.slice(0, 0, 4).equal(torch::tensor({9, 2, 1, 1}, torch::kInt64)));
  CHECK(torch::bincount(test.labels).equal(torch::full({10}, 1000, torch::kInt64)));
  CHECK(test.classes.front() == "T-shirt/top");
  CHECK(test.images.to(torch::kInt64).sum().item<int64_t>() == 573469082LL);
  CHECK(load_split(data, "test", 25).size() == 25);
}

TEST_CASE("idx: missing or foreign or truncated files are errors that name the file", "[data][idx]") {
  TempDir dir;
  CHECK_THROWS_WITH(read_idx(dir.path("none.gz")), Catch::Contains("none.gz") && Catch::Contains("does not exist"));

  dir.write("text.idx", "hello, world");
  CHECK_THROWS_WITH(read_idx(dir.path("text.idx")), Catch::Contains("text.idx") && Catch::Contains("not an IDX"));

  const std::string good = idx_bytes({3, 2, 2}, 12);
  dir.write("good.idx", good);
  CHECK(read_idx(dir.path("good.idx")).data.size() == 12);

  dir.write("short.idx", good.substr(0, good.size() - 5));
  CHECK_THROWS_WITH(read_idx(dir.path("short.idx")), Catch::Contains("short.idx") && Catch::Contains("truncated"));

  write_gz(dir.path("short.gz"), good.substr(0, good.size() - 5));
  CHECK_THROWS_WITH(read_idx(dir.path("short.gz")), Catch::Contains("short.gz") && Catch::Contains("truncated"));

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
  CHECK_THROWS_WITH(load_split(data, "train"), Catch::Contains("absent") && Catch::Contains("does not exist"));
  data.root = dir.root.string();
  CHECK_THROWS_WITH(load_split(data, "train"), Catch::Contains("train-images-idx3-ubyte"));
}
