// The WebDataset loader on small shards the tests write: every sample once in evaluation, tar and
// tar.gz, disjoint shards across ranks and reader streams, equal steps on every rank, batches
// that depend on the seed and not on threads, bad members under both on_error policies, resume.
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "core/config.h"
#include "core/error.h"
#include "data/loader.h"
#include "data/shard_loader.h"
#include "data/webdataset/shard_split.h"
#include "shard_test_util.h"

using namespace softvit;
using testing::samples;
using testing::write_shard;
using testing::write_split;

namespace {

RunConfig shard_run(const std::string& root, const std::string& suffix = ".tar") {
  RunConfig c;
  c.data = testing::shard_data(root, suffix);
  c.train.batch_size = 4;
  c.train.eval_batch_size = 4;
  c.run.seed = 3;
  return c;
}

// Sample i of the shards has every pixel i (shard_test_util.h); mean 0, std 1: pixel = i / 255.
std::vector<int> ids_of(const Batch& b) {
  std::vector<int> ids;
  for (int64_t i = 0; i < b.images.size(0); ++i)
    ids.push_back(static_cast<int>(std::lround(b.images[i][0][0][0].item<float>() * 255)));
  return ids;
}

std::vector<Batch> epoch(DataLoader& loader, int64_t e) {
  loader.start_epoch(e);
  std::vector<Batch> out;
  while (auto b = loader.next()) out.push_back(*b);
  return out;
}

std::vector<int> all_ids(const std::vector<Batch>& batches) {
  std::vector<int> ids;
  for (const auto& b : batches)
    for (int id : ids_of(b)) ids.push_back(id);
  return ids;
}

ShardLoader& shard_loader(std::unique_ptr<DataLoader>& loader) { return dynamic_cast<ShardLoader&>(*loader); }

}  // namespace

TEST_CASE("webdataset loader: evaluation reads every sample once, from tar and tar.gz",
          "[data][webdataset]") {
  for (const std::string suffix : {".tar", ".tar.gz"}) {
    INFO(suffix);
    TempDir dir;
    write_split(dir.path("ds"), "val", 3, 5, 3, suffix == ".tar.gz");
    auto c = shard_run(dir.path("ds"), suffix);
    auto loader = make_loader(c, "val", /*train=*/false);
    CHECK(loader->size() == 15);
    CHECK(loader->classes() == std::vector<std::string>{"0", "1", "2"});
    CHECK(loader->class_counts() == std::vector<int64_t>{5, 5, 5});
    CHECK(loader->evaluation_shares().layout == ShareLayout::disjoint);
    CHECK(loader->batches_per_epoch() == 6);  // 3 streams of 5 samples: 4 + 1 each
    const auto batches = epoch(*loader, 0);
    REQUIRE(batches.size() == 6);
    std::multiset<int> ids;
    for (const auto& b : batches) {
      const auto got = ids_of(b);
      for (size_t i = 0; i < got.size(); ++i) {
        ids.insert(got[i]);
        CHECK(b.labels[static_cast<int64_t>(i)].item<int64_t>() == got[i] % 3);
        CHECK(b.names[i] == cat("set-val-00000", got[i] / 5, suffix, ":s", got[i]));
      }
    }
    std::multiset<int> expected;
    for (int i = 0; i < 15; ++i) expected.insert(i);
    CHECK(ids == expected);
    CHECK(all_ids(epoch(*loader, 1)) == all_ids(batches));  // no shuffling in evaluation
  }
}

TEST_CASE("webdataset loader: evaluation shards are split across ranks, each sample on one rank",
          "[data][webdataset]") {
  TempDir dir;
  const std::vector<int> sizes = {3, 7, 2, 5, 4};
  int first = 0;
  for (size_t s = 0; s < sizes.size(); ++s) {
    write_shard(dir.path(cat("ds/set-val-00000", s, ".tar")), samples(first, sizes[s], 4));
    first += sizes[s];
  }
  auto c = shard_run(dir.path("ds"));
  std::multiset<int> seen;
  std::vector<size_t> per_rank;
  for (int rank = 0; rank < 3; ++rank) {
    auto loader = make_loader(c, "val", false, rank, 3);
    CHECK(loader->size() == 21);  // the whole split, as for the Loader
    const auto ids = all_ids(epoch(*loader, 0));
    per_rank.push_back(ids.size());
    seen.insert(ids.begin(), ids.end());
  }
  CHECK(seen.size() == 21);
  CHECK(std::set<int>(seen.begin(), seen.end()).size() == 21);  // disjoint and complete
  CHECK(per_rank == std::vector<size_t>{7, 7, 7});  // shards dealt to the rank with the fewest samples
}

TEST_CASE("webdataset loader: training ranks and reader streams read disjoint shards and run equal steps",
          "[data][webdataset]") {
  TempDir dir;
  write_split(dir.path("ds"), "train", 6, 10, 3);
  auto c = shard_run(dir.path("ds"));
  c.data.shard_streams = 2;
  for (int64_t e : {0, 1}) {
    std::set<std::string> shards_seen;
    std::vector<std::set<int>> rank_ids(2);
    for (int rank = 0; rank < 2; ++rank) {
      auto loader = make_loader(c, "train", true, rank, 2);
      CHECK(loader->batches_per_epoch() == 7);  // floor(60 / (2 ranks x 4))
      const auto streams = shard_loader(loader).stream_shards(e);
      REQUIRE(streams.size() == 2);  // 3 shards per rank, 2 streams
      std::set<std::string> mine;
      for (const auto& stream : streams)
        for (const auto& shard : stream) {
          CHECK(shards_seen.insert(shard.name).second);  // no shard twice, in any rank or stream
          mine.insert(shard.name);
        }
      const auto batches = epoch(*loader, e);
      CHECK(batches.size() == 7);
      for (const auto& b : batches) {
        CHECK(b.images.size(0) == 4);
        for (int id : ids_of(b)) {
          CHECK(mine.count(cat("set-train-00000", id / 10, ".tar")) == 1);  // from this rank's shards
          rank_ids[static_cast<size_t>(rank)].insert(id);
        }
      }
    }
    CHECK(shards_seen.size() == 6);
    for (int id : rank_ids[0]) CHECK(rank_ids[1].count(id) == 0);
  }
  auto one = make_loader(c, "train", true, 0, 1);
  const auto order = [&](int64_t e) {
    std::vector<std::string> names;
    for (const auto& stream : shard_loader(one).stream_shards(e))
      for (const auto& shard : stream) names.push_back(shard.name);
    return names;
  };
  CHECK(order(0) != order(1));  // reshuffled per epoch
}

TEST_CASE("webdataset loader: batches depend on the seed and epoch, not on the worker threads",
          "[data][webdataset]") {
  TempDir dir;
  write_split(dir.path("ds"), "train", 4, 12, 3);
  auto c = shard_run(dir.path("ds"));
  c.data.train_transforms = {"random_resized_crop(size=6)", "hflip", "random_erasing(p=0.5)"};
  c.data.mixup = 0.8;
  c.data.shuffle_buffer = 8;
  c.data.workers = 1;
  auto single = make_loader(c, "train", true);
  c.data.workers = 3;
  c.data.prefetch = 2;
  auto three = make_loader(c, "train", true);
  const auto a = epoch(*single, 2), b = epoch(*three, 2);
  REQUIRE(a.size() == 12);
  REQUIRE(b.size() == a.size());
  for (size_t i = 0; i < a.size(); ++i) {
    CHECK(torch::equal(a[i].images, b[i].images));
    CHECK(torch::equal(a[i].labels, b[i].labels));
    CHECK(torch::equal(a[i].targets, b[i].targets));
    CHECK(a[i].names == b[i].names);
  }
  CHECK(a[0].targets.sizes() == torch::IntArrayRef{4, 3});
  const auto names = [](const std::vector<Batch>& batches) {
    std::vector<std::string> all;
    for (const auto& batch : batches) all.insert(all.end(), batch.names.begin(), batch.names.end());
    return all;
  };
  CHECK(names(epoch(*three, 2)) == names(a));  // the same epoch again
  CHECK(names(epoch(*three, 3)) != names(a));
  c.run.seed = 4;
  auto reseeded = make_loader(c, "train", true);
  CHECK(names(epoch(*reseeded, 2)) != names(a));
}

TEST_CASE("webdataset loader: the shuffle buffer mixes samples within a shard", "[data][webdataset]") {
  TempDir dir;
  write_split(dir.path("ds"), "train", 1, 40, 2);
  auto c = shard_run(dir.path("ds"));
  c.data.shuffle_buffer = 1;
  auto in_order = make_loader(c, "train", true);
  std::vector<int> sorted(40);
  for (int i = 0; i < 40; ++i) sorted[static_cast<size_t>(i)] = i;
  CHECK(all_ids(epoch(*in_order, 0)) == sorted);
  c.data.shuffle_buffer = 10;
  auto shuffled = make_loader(c, "train", true);
  const auto ids = all_ids(epoch(*shuffled, 0));
  CHECK(ids != sorted);
  CHECK(std::set<int>(ids.begin(), ids.end()).size() == 40);                         // each sample once
  for (size_t k = 0; k < ids.size(); ++k) CHECK(ids[k] < static_cast<int>(k) + 10);  // a bounded buffer
}

TEST_CASE("webdataset loader: a stream that runs out before the epoch ends starts its shards again",
          "[data][webdataset]") {
  TempDir dir;
  write_shard(dir.path("ds/set-train-000000.tar"), samples(0, 2, 2));
  write_shard(dir.path("ds/set-train-000001.tar"), samples(100, 18, 2));
  auto c = shard_run(dir.path("ds"));
  c.train.batch_size = 2;
  c.data.shard_streams = 2;
  auto loader = make_loader(c, "train", true);
  const auto ids = all_ids(epoch(*loader, 0));
  REQUIRE(ids.size() == 20);  // floor(20 / 2) batches of 2
  std::map<int, int> count;
  for (int id : ids) ++count[id];
  CHECK(count[0] == 5);  // the 2-sample shard's stream fills every other batch
  CHECK(count[1] == 5);
  int big = 0;
  for (const auto& [id, n] : count) big += id >= 100 ? 1 : 0;
  CHECK(big == 10);  // and 8 of the 18-sample shard are not seen this epoch
}

TEST_CASE("webdataset loader: an image that cannot be decoded follows data.on_error",
          "[data][webdataset][bad]") {
  TempDir dir;
  auto members = samples(0, 12, 3);
  members[2 * 5].second = {1, 2, 3, 4};  // s5.png
  write_shard(dir.path("ds/set-train-000000.tar"), members);
  auto c = shard_run(dir.path("ds"));
  c.data.workers = 1;
  {
    auto loader = make_loader(c, "train", false);
    CHECK_THROWS_WITH(epoch(*loader, 0),
                      Catch::Contains("set-train-000000.tar:s5") && Catch::Contains("skip"));
  }
  c.data.on_error = "skip";
  auto eval = make_loader(c, "train", false);
  auto ids = all_ids(epoch(*eval, 0));
  CHECK(ids.size() == 11);  // left out of the evaluation
  CHECK(std::find(ids.begin(), ids.end(), 5) == ids.end());
  REQUIRE(eval->skipped().size() == 1);
  CHECK(eval->skipped()[0].file == "set-train-000000.tar:s5");
  auto train = make_loader(c, "train", true);
  const auto batches = epoch(*train, 0);
  REQUIRE(batches.size() == 3);
  for (const auto& b : batches) CHECK(b.images.size(0) == 4);  // replaced: shapes stay fixed
  ids = all_ids(batches);
  CHECK(std::set<int>(ids.begin(), ids.end()).size() == 11);  // one sample of the batch twice
  CHECK(train->skipped().size() == 1);
  CHECK(all_ids(epoch(*train, 0)) == ids);  // the same replacement again
}

TEST_CASE("webdataset loader: samples without image or label, bad labels and broken shards",
          "[data][webdataset][bad]") {
  TempDir dir;
  write_shard(dir.path("ds/set-train-000000.tar"), samples(0, 6, 2));
  auto broken = samples(10, 6, 2);
  broken.erase(broken.begin() + 3);                         // s11 without .cls
  broken.push_back({"s20.cls", testing::text_bytes("1")});  // no image
  broken.push_back({"s21.png", testing::png_of(21)});       // label 5 of 2 classes
  broken.push_back({"s21.cls", testing::text_bytes("5")});
  write_shard(dir.path("ds/set-train-000001.tar"), broken);
  auto c = shard_run(dir.path("ds"));
  c.data.classes = {"a", "b"};
  CHECK_THROWS_WITH(make_loader(c, "train", false),
                    Catch::Contains("set-train-000001.tar:s11") && Catch::Contains("no .cls"));
  c.data.on_error = "skip";
  auto loader = make_loader(c, "train", false);
  CHECK(loader->size() == 11);
  std::set<std::string> skipped;
  for (const auto& p : loader->skipped()) skipped.insert(p.file + " " + p.reason);
  CHECK(skipped.size() == 3);
  CHECK(skipped.count("set-train-000001.tar:s21 label 5 is out of range 0..1 (2 classes)") == 1);
  auto ids = all_ids(epoch(*loader, 0));
  std::sort(ids.begin(), ids.end());
  CHECK(ids == std::vector<int>{0, 1, 2, 3, 4, 5, 10, 12, 13, 14, 15});

  // A truncated shard: stop names it; skip keeps what came before the damage.
  std::filesystem::resize_file(dir.path("ds/set-train-000000.tar"), 512 * 9);  // 4 members and a bit
  c.data.on_error = "stop";
  c.data.classes.clear();
  std::filesystem::remove(dir.path("ds/set-train-000001.tar"));
  write_shard(dir.path("ds/set-train-000001.tar"), samples(10, 6, 2));
  CHECK_THROWS_WITH(make_loader(c, "train", false), Catch::Contains("set-train-000000.tar"));
  c.data.on_error = "skip";
  auto rest = make_loader(c, "train", false);
  CHECK(rest->size() == 8);  // s0, s1 and the other shard
  CHECK(all_ids(epoch(*rest, 0)).size() == 8);
  auto train = make_loader(c, "train", true);
  CHECK(epoch(*train, 0).size() == 2);  // floor(8 / 4)
}

TEST_CASE("webdataset loader: skipping the first batches of an epoch (resume) decodes none of them",
          "[data][webdataset][resume]") {
  TempDir dir;
  write_split(dir.path("ds"), "train", 3, 16, 3);
  auto c = shard_run(dir.path("ds"));
  c.data.shuffle_buffer = 6;
  c.data.shard_streams = 2;
  c.data.train_transforms = {"random_resized_crop(size=6)", "hflip"};
  auto whole = make_loader(c, "train", true);
  const auto reference = epoch(*whole, 1);
  REQUIRE(reference.size() == 12);
  for (int64_t skip : {1, 5, 11}) {
    INFO("skip " << skip);
    auto resumed = make_loader(c, "train", true);
    resumed->start_epoch(1);
    resumed->skip(skip);
    for (size_t k = static_cast<size_t>(skip); k < reference.size(); ++k) {
      auto b = resumed->next();
      REQUIRE(b);
      CHECK(torch::equal(b->images, reference[k].images));
      CHECK(b->names == reference[k].names);
    }
    CHECK_FALSE(resumed->next());
  }
  // An image that cannot be decoded in a skipped batch stops nothing: skipped batches are only read.
  const std::string bad = reference[2].names[1];
  const std::string key = bad.substr(bad.find(':') + 1);
  const std::string shard = bad.substr(0, bad.find(':'));
  const int id = std::stoi(key.substr(1));
  auto members = samples(id / 16 * 16, 16, 3);
  members[static_cast<size_t>(2 * (id % 16))].second = {9, 9, 9};
  write_shard(dir.path("ds/" + shard), members);
  auto stopping = make_loader(c, "train", true);
  CHECK_THROWS_WITH(epoch(*stopping, 1), Catch::Contains(bad));
  auto resumed = make_loader(c, "train", true);
  resumed->start_epoch(1);
  resumed->skip(3);
  auto b = resumed->next();
  REQUIRE(b);
  CHECK(b->names == reference[3].names);
}

TEST_CASE("webdataset loader: fewer shards than processes, and samplers that need random access, are errors",
          "[data][webdataset][bad]") {
  TempDir dir;
  write_split(dir.path("ds"), "train", 1, 8, 2);
  auto c = shard_run(dir.path("ds"));
  CHECK_THROWS_WITH(make_loader(c, "train", true, 0, 2),
                    Catch::Contains("1 shards") && Catch::Contains("2 processes"));
  c.data.sampler = "balanced";
  CHECK_THROWS_AS(make_loader(c, "train", true), ConfigError);
}

TEST_CASE("webdataset loader: limit_train keeps the first samples in shard order", "[data][webdataset]") {
  TempDir dir;
  write_split(dir.path("ds"), "train", 3, 5, 5);
  auto c = shard_run(dir.path("ds"));
  c.data.limit_train = 7;
  auto loader = make_loader(c, "train", true);
  CHECK(loader->size() == 7);
  CHECK(loader->class_counts() == std::vector<int64_t>{2, 2, 1, 1, 1});  // labels of s0..s6
  auto ids = all_ids(epoch(*loader, 0));
  CHECK(ids.size() == 4);
  for (int id : ids) CHECK(id < 7);
}

TEST_CASE("webdataset loader: the Imagenette shards hold the samples their MANIFEST.tsv counts",
          "[data][webdataset][shared]") {
  const std::string root = std::string(SOFTVIT_SOURCE_DIR) + "/../shared/data/imagenette";
  if (!std::filesystem::exists(root + "/MANIFEST.tsv")) {
    WARN("softvit test skipped: " << root << " is absent");
    return;
  }
  std::map<std::string, int64_t> manifest;  // file -> samples
  std::ifstream in(root + "/MANIFEST.tsv");
  std::string line;
  std::getline(in, line);  // header: file samples bytes md5
  while (std::getline(in, line)) {
    const auto cells = split(line, '\t');
    if (cells.size() >= 2) manifest[cells[0]] = std::stoll(cells[1]);
  }
  REQUIRE(manifest.size() == 4);
  RunConfig c;
  c.data.source = "webdataset";
  c.data.root = root;
  c.data.shards = {"imagenette2-160-{split}-*.tar.gz"};
  c.data.classes_file = "classes.tsv";
  c.data.val_split = "val";
  c.data.workers = 2;
  c.data.eval_transforms = {"resize(size=64)", "center_crop(size=64)"};
  c.data.mean = {0.5};
  c.data.std = {0.25};
  c.train.eval_batch_size = 16;
  int64_t total = 0;
  for (const std::string split : {"train", "val"}) {
    const ShardSplit opened = open_shard_split(c.data, split, {});
    for (const auto& shard : opened.index.shards) CHECK(shard.samples == manifest.at(shard.name));
    CHECK(opened.classes.size() == 10);
    CHECK(opened.classes[0] == "tench");
    int64_t counted = 0;
    for (int64_t n : opened.index.class_counts) counted += n;
    CHECK(counted == opened.index.total);
    total += opened.index.total;
  }
  int64_t expected = 0;
  for (const auto& [file, n] : manifest) expected += n;
  CHECK(total == expected);
  auto loader = make_loader(c, "val", false);
  loader->start_epoch(0);
  const auto batch = loader->next();
  REQUIRE(batch);
  CHECK(batch->images.sizes() == torch::IntArrayRef{16, 3, 64, 64});
  CHECK(batch->labels.max().item<int64_t>() < 10);
}
