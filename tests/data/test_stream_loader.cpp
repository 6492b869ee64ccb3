// The streaming loader: batches, normalisation, determinism whatever the worker count, sharding,
// mixup targets, and bad samples under both policies.
#include <atomic>
#include <chrono>
#include <set>
#include <thread>

#include "core/config.h"
#include "core/error.h"
#include "core/strings.h"
#include "data/loader.h"
#include "data/sources/make_source.h"
#include "data/sources/synthetic_source.h"
#include "data_test_util.h"

using namespace softvit;
using testing::encode_rgb;
using testing::write_bytes;

namespace {

LoaderConfig base_config(int workers) {
  LoaderConfig o;
  o.batch_size = 8;
  o.workers = workers;
  o.decode.channels = 3;
  o.sampler.kind = "random";
  o.sampler.seed = 4;
  o.mean = {0.5};
  o.std = {0.25};
  return o;
}

SourcePtr synthetic(int64_t n, int size = 12) {
  return std::make_shared<SyntheticSource>(n, size, 3, 3, "train");
}

std::vector<Batch> epoch(BatchSource& loader, int64_t e) {
  loader.start_epoch(e);
  std::vector<Batch> out;
  while (auto b = loader.next()) out.push_back(*b);
  return out;
}

// A folder with 6 good PNGs per class and, in class b, the bad files given.
std::string folder_with(const TempDir& dir,
                        const std::vector<std::pair<std::string, std::vector<uint8_t>>>& bad) {
  const std::string root = dir.path("ds");
  for (const std::string c : {"a", "b"})
    for (int k = 0; k < 6; ++k)
      write_bytes(cat(root, "/train/", c, "/", k, ".png"),
                  encode_rgb(cv::Mat(10, 10, CV_8UC3, cv::Scalar::all(k * 20)), ".png"));
  for (const auto& [name, bytes] : bad) write_bytes(root + "/train/b/" + name, bytes);
  return root;
}

// Counts the samples loaded: work done, whether or not its batches were used.
class CountingSource : public SyntheticSource {
 public:
  using SyntheticSource::SyntheticSource;
  RawImage load(int64_t i) const override {
    ++loads;
    return SyntheticSource::load(i);
  }
  mutable std::atomic<int64_t> loads{0};
};

}  // namespace

TEST_CASE("loader: one epoch holds every sample once with normalised pixels", "[data][stream]") {
  const auto source = synthetic(21);
  LoaderConfig o = base_config(2);
  o.sampler.kind = "sequential";
  Loader loader(source, o);
  CHECK(loader.batches_per_epoch() == 3);
  const auto batches = epoch(loader, 0);
  REQUIRE(batches.size() == 3);
  CHECK(batches[2].images.size(0) == 5);
  CHECK(batches[0].images.sizes() == torch::IntArrayRef{8, 3, 12, 12});
  CHECK_FALSE(batches[0].targets.defined());
  // Sample 9 is the second of batch 1: (x / 255 - 0.5) / 0.25, channel-first.
  const cv::Mat raw = source->load(9).pixels;
  for (int c = 0; c < 3; ++c)
    CHECK(batches[1].images[1][c][4][7].item<float>() ==
          Approx((raw.at<cv::Vec3b>(4, 7)[c] / 255.0 - 0.5) / 0.25));
  std::vector<int64_t> labels;
  for (const auto& b : batches)
    for (int64_t i = 0; i < b.labels.size(0); ++i) labels.push_back(b.labels[i].item<int64_t>());
  for (int64_t i = 0; i < 21; ++i) CHECK(labels[i] == i % 3);

  o.drop_last = true;
  Loader dropping(source, o);
  CHECK(dropping.batches_per_epoch() == 2);
  CHECK(epoch(dropping, 0).size() == 2);
}

TEST_CASE("loader: same seed gives the same augmented batches whatever the worker count", "[data][stream]") {
  const auto source = synthetic(40, 16);
  LoaderConfig o = base_config(1);
  o.transforms = {"random_resized_crop(size=10)", "hflip", "color_jitter(brightness=0.3)",
                  "random_erasing(p=0.5)"};
  o.mixup.mixup_alpha = 0.8;
  o.mixup.cutmix_alpha = 1.0;
  Loader one(source, o);
  o.workers = 3;
  o.prefetch = 2;
  Loader three(source, o);
  const auto a = epoch(one, 2), b = epoch(three, 2);
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    CHECK(torch::equal(a[i].images, b[i].images));
    CHECK(torch::equal(a[i].labels, b[i].labels));
    CHECK(torch::equal(a[i].targets, b[i].targets));
  }
  const auto again = epoch(three, 2);  // restarting gives the same epoch again
  CHECK(torch::equal(again[0].images, a[0].images));
  CHECK_FALSE(torch::equal(epoch(three, 3)[0].images, a[0].images));
  // Mixed targets: rows sum to 1 over the 3 classes.
  CHECK(a[0].targets.sizes() == torch::IntArrayRef{8, 3});
  CHECK(torch::allclose(a[0].targets.sum(1), torch::ones({8}), 1e-5, 1e-5));
}

TEST_CASE("loader: ranks see disjoint complete shares with the same augmentation", "[data][stream]") {
  const auto source = synthetic(10);
  LoaderConfig o = base_config(2);
  o.batch_size = 2;
  o.transforms = {"hflip"};
  std::multiset<int64_t> first_pixels;
  for (int rank = 0; rank < 3; ++rank) {
    o.sampler.rank = rank;
    o.sampler.world_size = 3;
    Loader loader(source, o);
    CHECK(loader.batches_per_epoch() == 2);  // ceil(10 / 3) = 4 samples per rank
    for (const auto& b : epoch(loader, 0))
      for (int64_t i = 0; i < b.labels.size(0); ++i)
        first_pixels.insert(static_cast<int64_t>(b.images[i].sum().item<double>() * 1000));
  }
  CHECK(first_pixels.size() == 12);  // 10 samples + 2 of padding
  CHECK(std::set<int64_t>(first_pixels.begin(), first_pixels.end()).size() == 10);  // complete
}

TEST_CASE("loader: the IDX quickstart setup (pad_crop and hflip) through make_loader", "[data][stream]") {
  if (!testing::fashion_mnist_available()) return;
  RunConfig c;
  c.data.pad_crop = 2;
  c.data.hflip = 0.5;
  c.data.limit_train = 300;
  c.data.workers = 2;
  c.train.batch_size = 128;
  auto train = make_loader(c, "train", true);
  CHECK(train->classes().front() == "T-shirt/top");
  CHECK(train->channels() == 1);
  CHECK(train->batches_per_epoch() == 2);
  train->start_epoch(0);
  const auto b = train->next();
  REQUIRE(b);
  CHECK(b->images.sizes() == torch::IntArrayRef{128, 1, 28, 28});
  CHECK(b->labels.max().item<int64_t>() < 10);
  auto eval = make_loader(c, "test", false);
  CHECK(eval->batches_per_epoch() == 20);  // 10000 / 512, rounded up
  const auto e = eval->next();
  REQUIRE(e);
  CHECK(e->labels[0].item<int64_t>() == 9);  // in file order
}

TEST_CASE("loader: corrupt or truncated or missing images stop the epoch with the file named",
          "[data][stream][bad]") {
  TempDir dir;
  const auto png = encode_rgb(cv::Mat(10, 10, CV_8UC3, cv::Scalar::all(9)), ".png");
  const auto jpeg = encode_rgb(testing::gradient_rgb(30, 20), ".jpg");
  const std::vector<std::pair<std::string, std::vector<uint8_t>>> cases = {
      {"corrupt.png", {1, 2, 3, 4, 5, 6, 7, 8}},
      {"truncated.jpg",
       std::vector<uint8_t>(jpeg.begin(), jpeg.begin() + static_cast<long>(jpeg.size() / 2))},
      {"short.png", std::vector<uint8_t>(png.begin(), png.begin() + static_cast<long>(png.size() / 2))}};
  for (const auto& bad : cases) {
    INFO(bad.first);
    TempDir case_dir;
    RunConfig c;
    c.data = testing::folder_data(folder_with(case_dir, {bad}));
    c.data.eval_transforms = {"resize(size=10x10)"};
    c.train.eval_batch_size = 4;
    auto loader = make_loader(c, "train", false);
    loader->start_epoch(0);
    CHECK_THROWS_WITH(([&] {
                        while (loader->next()) {
                        }
                      })(),
                      Catch::Contains(bad.first));
  }
  // A file that disappears after the listing.
  RunConfig c;
  c.data = testing::folder_data(folder_with(dir, {}));
  c.train.eval_batch_size = 4;
  auto loader = make_loader(c, "train", false);
  std::filesystem::remove(dir.path("ds/train/b/3.png"));
  loader->start_epoch(0);
  CHECK_THROWS_WITH(([&] {
                      while (loader->next()) {
                      }
                    })(),
                    Catch::Contains("3.png") && Catch::Contains("does not exist"));
}

TEST_CASE("loader: with on_error skip bad images are listed and replaced and batches keep their size",
          "[data][stream][bad]") {
  TempDir dir;
  const auto jpeg = encode_rgb(testing::gradient_rgb(30, 20), ".jpg");
  RunConfig c;
  c.data = testing::folder_data(
      folder_with(dir, {{"corrupt.png", {1, 2, 3}},
                        {"truncated.jpg", std::vector<uint8_t>(jpeg.begin(), jpeg.begin() + 300)}}));
  c.data.on_error = "skip";
  c.data.train_transforms = {"resize(size=10x10)", "hflip"};
  c.data.workers = 2;
  c.train.batch_size = 7;
  auto loader = make_loader(c, "train", true);
  REQUIRE(loader->size() == 14);
  std::filesystem::remove(dir.path("ds/train/a/2.png"));  // missing by the time it is read
  const auto batches = epoch(*loader, 0);
  REQUIRE(batches.size() == 2);
  for (const auto& b : batches) CHECK(b.images.size(0) == 7);
  std::set<std::string> names;
  for (const auto& p : loader->skipped()) names.insert(std::filesystem::path(p.file).filename().string());
  CHECK(names == std::set<std::string>{"2.png", "corrupt.png", "truncated.jpg"});
  // The same epoch again gives the same replacements.
  const auto again = epoch(*loader, 0);
  CHECK(torch::equal(again[1].images, batches[1].images));
}

TEST_CASE("loader: images of different sizes without a sizing transform are a clear error",
          "[data][stream][bad]") {
  TempDir dir;
  RunConfig c;
  c.data =
      testing::folder_data(folder_with(dir, {{"big.png", encode_rgb(cv::Mat(20, 30, CV_8UC3), ".png")}}));
  c.train.eval_batch_size = 16;
  auto loader = make_loader(c, "train", false);
  loader->start_epoch(0);
  CHECK_THROWS_WITH(loader->next(), Catch::Contains("big.png") && Catch::Contains("data.eval_transforms"));
}

TEST_CASE("loader: starting the epoch in progress again keeps the batches built ahead", "[data][stream]") {
  auto counting = std::make_shared<CountingSource>(64, 12, 3, 3, "train");
  auto config = base_config(2);
  config.prefetch = 8;  // the whole epoch (8 batches of 8) is built ahead
  Loader loader(counting, config);
  Loader fresh(synthetic(64), base_config(2));
  loader.start_epoch(1);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (counting->loads < 64 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  REQUIRE(counting->loads == 64);
  loader.start_epoch(1);  // what a trainer does at the epoch's start after starting it early
  std::vector<Batch> batches;
  while (auto b = loader.next()) batches.push_back(*b);
  CHECK(counting->loads == 64);  // a restart would have built the epoch twice
  const auto expected = epoch(fresh, 1);
  REQUIRE(batches.size() == expected.size());
  for (size_t i = 0; i < batches.size(); ++i) {
    CHECK(torch::equal(batches[i].images, expected[i].images));
    CHECK(torch::equal(batches[i].labels, expected[i].labels));
  }
  // Once a batch is taken, start_epoch restarts the epoch from its first batch.
  loader.start_epoch(2);
  const auto first = loader.next();
  loader.start_epoch(2);
  CHECK(torch::equal(loader.next()->images, first->images));
}

TEST_CASE("loader: an evaluation loader under skip leaves bad images out and never scores another",
          "[data][stream][bad]") {
  TempDir dir;
  RunConfig c;
  c.data = testing::folder_data(folder_with(dir, {{"corrupt.png", {1, 2, 3}}}));  // b/corrupt.png: 7th of b
  c.data.on_error = "skip";
  c.data.workers = 2;
  c.train.eval_batch_size = 5;
  auto loader = make_loader(c, "train", false);
  REQUIRE(loader->size() == 13);
  std::filesystem::remove(dir.path("ds/train/a/0.png"));  // the very first sample, missing when read
  std::vector<std::string> names;
  std::vector<int64_t> labels;
  for (const auto& b : epoch(*loader, 0)) {
    REQUIRE(b.names.size() == static_cast<size_t>(b.labels.size(0)));
    for (int64_t i = 0; i < b.labels.size(0); ++i) {
      names.push_back(b.names[static_cast<size_t>(i)]);
      labels.push_back(b.labels[i].item<int64_t>());
    }
  }
  // 11 images scored, each once, each with its own folder's label: none stands in for another.
  REQUIRE(names.size() == 11);
  CHECK(std::set<std::string>(names.begin(), names.end()).size() == 11);
  for (size_t i = 0; i < names.size(); ++i) {
    CHECK(names[i] != dir.path("ds/train/a/0.png"));
    CHECK(names[i].find("corrupt") == std::string::npos);
    CHECK(labels[i] == (names[i].find("/train/a/") != std::string::npos ? 0 : 1));
  }
  // The first sample (position 0) and b/corrupt.png (position 6 + 6 = 12: sorted after 5.png) left out.
  CHECK(loader->evaluation_shares().dropped_positions == std::vector<int64_t>{0, 12});
  std::set<std::string> skipped;
  for (const auto& p : loader->skipped()) skipped.insert(std::filesystem::path(p.file).filename().string());
  CHECK(skipped == std::set<std::string>{"0.png", "corrupt.png"});
  // Another pass leaves out the same samples.
  CHECK(epoch(*loader, 0).size() == 3);
  CHECK(loader->evaluation_shares().dropped_positions == std::vector<int64_t>{0, 12});
}

TEST_CASE("loader: a batch whose every image is unreadable is passed over", "[data][stream][bad]") {
  TempDir dir;
  RunConfig c;
  c.data = testing::folder_data(folder_with(dir, {}));
  c.data.on_error = "skip";
  c.train.eval_batch_size = 2;
  auto loader = make_loader(c, "train", false);
  std::filesystem::remove(dir.path("ds/train/a/2.png"));
  std::filesystem::remove(dir.path("ds/train/a/3.png"));  // together the second batch
  int64_t images = 0;
  for (const auto& b : epoch(*loader, 0)) images += b.images.size(0);
  CHECK(images == 10);
  CHECK(loader->evaluation_shares().dropped_positions == std::vector<int64_t>{2, 3});
}
