#include "catch.h"
#include "core/error.h"
#include "data/batch_loader.h"

using namespace softvit;

namespace {

TensorDataset ramp(int64_t n, int64_t h = 6, int64_t w = 6) {
  TensorDataset d;
  d.images = torch::arange(n * h * w, torch::kInt64).remainder(256).to(torch::kUInt8).reshape({n, 1, h, w});
  d.labels = torch::arange(n, torch::kInt64).remainder(3);
  d.classes = {"a", "b", "c"};
  return d;
}

std::vector<torch::Tensor> epoch(BatchLoader& loader, int64_t e) {
  loader.start_epoch(e);
  std::vector<torch::Tensor> out;
  while (auto b = loader.next()) out.push_back(b->images);
  return out;
}

}  // namespace

TEST_CASE("loader: every sample once per epoch and drop_last drops the remainder", "[data][loader]") {
  const auto data = ramp(10);
  LoaderOptions o;
  o.batch_size = 4;
  o.shuffle = true;
  o.seed = 3;
  BatchLoader loader(data, o);
  CHECK(loader.batches_per_epoch() == 3);
  std::vector<int64_t> seen;
  loader.start_epoch(0);
  while (auto b = loader.next())
    for (int64_t i = 0; i < b->labels.size(0); ++i)
      seen.push_back(static_cast<int64_t>(std::lround(b->images[i][0][0][0].item<double>() * 255)));
  CHECK(seen.size() == 10);
  std::vector<int64_t> expected;
  for (int64_t i = 0; i < 10; ++i) expected.push_back((i * 36) % 256);  // first pixel of sample i
  std::sort(seen.begin(), seen.end());
  std::sort(expected.begin(), expected.end());
  CHECK(seen == expected);

  o.drop_last = true;
  BatchLoader dropping(data, o);
  CHECK(dropping.batches_per_epoch() == 2);
  CHECK(epoch(dropping, 0).size() == 2);
}

TEST_CASE("loader: same seed and epoch give the same batches and epochs differ", "[data][loader]") {
  const auto data = ramp(64);
  LoaderOptions o;
  o.batch_size = 16;
  o.shuffle = true;
  o.seed = 7;
  o.pad_crop = 2;
  o.hflip = 0.5;
  BatchLoader a(data, o), b(data, o);
  const auto a1 = epoch(a, 1), b1 = epoch(b, 1), a2 = epoch(a, 2);
  const auto a1_again = epoch(a, 1);  // independent of what ran before
  for (size_t i = 0; i < a1.size(); ++i) {
    CHECK(torch::equal(a1[i], b1[i]));
    CHECK(torch::equal(a1[i], a1_again[i]));
  }
  CHECK_FALSE(torch::equal(a1[0], a2[0]));
}

TEST_CASE("loader: normalisation is (x/255 - mean) / std", "[data][loader]") {
  const auto data = ramp(4);
  LoaderOptions o;
  o.batch_size = 4;
  o.mean = {0.5};
  o.std = {0.25};
  BatchLoader loader(data, o);
  auto b = loader.next();
  REQUIRE(b);
  auto expected = (data.images.to(torch::kFloat64) / 255.0 - 0.5) / 0.25;
  CHECK(torch::allclose(b->images.to(torch::kFloat64), expected, 1e-6, 1e-6));
  CHECK(b->labels.equal(data.labels));
  o.mean = {0.1, 0.2};
  o.std = {1.0, 1.0};
  CHECK_THROWS_AS(BatchLoader(data, o), ConfigError);  // 2 values for 1 channel
}

TEST_CASE("loader: flips are exact mirrors and pad-crop shifts within the padding", "[data][loader]") {
  const auto data = ramp(32);
  LoaderOptions o;
  o.batch_size = 32;
  o.hflip = 1.0;
  BatchLoader flipping(data, o);
  auto flipped = flipping.next()->images;
  o.hflip = 0.0;
  BatchLoader plain(data, o);
  CHECK(torch::equal(flipped, plain.next()->images.flip({3})));

  o.pad_crop = 1;
  BatchLoader cropping(data, o);
  auto cropped = cropping.next()->images;
  auto original = plain.next();  // exhausted after one batch
  CHECK_FALSE(original.has_value());
  plain.start_epoch(0);
  auto base = plain.next()->images;
  const double zero = (0.0 - o.mean[0]) / o.std[0];
  for (int64_t i = 0; i < 32; ++i) {
    bool matched = false;
    for (int64_t dy = -1; dy <= 1 && !matched; ++dy)
      for (int64_t dx = -1; dx <= 1 && !matched; ++dx) {
        auto shifted = torch::full_like(base[i], zero);
        const int64_t h = 6;
        auto src = base[i].slice(1, std::max<int64_t>(0, dy), h + std::min<int64_t>(0, dy))
                       .slice(2, std::max<int64_t>(0, dx), h + std::min<int64_t>(0, dx));
        shifted.slice(1, std::max<int64_t>(0, -dy), h + std::min<int64_t>(0, -dy))
            .slice(2, std::max<int64_t>(0, -dx), h + std::min<int64_t>(0, -dx))
            .copy_(src);
        matched = torch::equal(shifted, cropped[i]);
      }
    CHECK(matched);
  }
}
