// softvit data pack: a folder, or pixels in memory, written as shards and read back with the same
// images and labels; shards by count or by size; then training one epoch from packed shards.
#include <filesystem>
#include <fstream>
#include <map>

#include "core/config.h"
#include "core/error.h"
#include "data/decode.h"
#include "data/loader.h"
#include "data/sources/folder_source.h"
#include "data/sources/make_source.h"
#include "data/sources/synthetic_source.h"
#include "data/webdataset/shard_reader.h"
#include "data/webdataset/shard_writer.h"
#include "shard_test_util.h"
#include "train/checkpoint.h"

using namespace softvit;
using testing::encode_rgb;
using testing::write_bytes;

namespace {

// Three classes, 5 + 3 + 4 images of different sizes and formats.
std::string small_folder(const TempDir& dir) {
  const std::string root = dir.path("folder");
  const std::vector<std::pair<std::string, int>> classes = {{"cat", 5}, {"dog", 3}, {"eel", 4}};
  int n = 0;
  for (const auto& [name, count] : classes)
    for (int k = 0; k < count; ++k, ++n) {
      const cv::Mat image = testing::gradient_rgb(10 + n, 8 + k);
      write_bytes(cat(root, "/train/", name, "/", k, k % 2 ? ".jpg" : ".png"),
                  encode_rgb(image, k % 2 ? ".jpg" : ".png"));
      if (k < 2) write_bytes(cat(root, "/val/", name, "/", k, ".png"), encode_rgb(image, ".png"));
    }
  return root;
}

// Every sample of the shards: key -> (label, image bytes).
std::map<std::string, std::pair<int64_t, std::vector<uint8_t>>> read_shards(
    const std::vector<std::string>& shards) {
  std::map<std::string, std::pair<int64_t, std::vector<uint8_t>>> out;
  for (const auto& path : shards) {
    ShardReader reader(path, LabelRule{}, true);
    ShardSample s;
    while (reader.next(s)) {
      INFO(path << ":" << s.key);
      REQUIRE(s.problem == "");
      out[s.key] = {s.label, s.image};
    }
  }
  return out;
}

// The key data pack gives sample i: its index, 8 digits.
std::string key_of(int64_t i) {
  std::string digits = std::to_string(i);
  return std::string(8 - digits.size(), '0') + digits;
}

}  // namespace

TEST_CASE("data pack: a folder's files and labels go into shards as they are", "[data][webdataset][pack]") {
  TempDir dir;
  const DataSection folder = testing::folder_data(small_folder(dir));
  const auto source = make_source(folder, "train");
  PackOptions o;
  o.output_dir = dir.path("shards");
  o.samples_per_shard = 5;
  const PackResult r = pack_split(*source, "train", o);
  CHECK(r.samples == 12);
  REQUIRE(r.shards.size() == 3);  // 5 + 5 + 2
  CHECK(std::filesystem::path(r.shards[0]).filename() == "data-train-000000.tar");
  const auto packed = read_shards(r.shards);
  REQUIRE(packed.size() == 12);
  for (int64_t i = 0; i < 12; ++i) {
    const auto& [label, bytes] = packed.at(key_of(i));
    CHECK(label == source->label(i));
    CHECK(bytes == source->load(i).encoded);  // the original encoded bytes
  }
  CHECK_THROWS_WITH(pack_split(*source, "train", o), Catch::Contains("already holds shards"));
  CHECK(packed_shard_pattern(o) == "data-{split}-*.tar");
}

TEST_CASE("data pack: pixels held in memory become PNGs; shards split by size", "[data][webdataset][pack]") {
  TempDir dir;
  const SyntheticSource source(10, 16, 3, 3, "train");
  PackOptions o;
  o.output_dir = dir.path("shards");
  o.gzip = true;
  const int64_t sample_bytes =
      TarWriter::member_bytes(static_cast<int64_t>(encode_rgb(source.load(0).pixels, ".png").size())) +
      TarWriter::member_bytes(1);
  o.max_shard_bytes = 1024 + 3 * sample_bytes + 100;  // room for 3 samples of about this size
  const PackResult r = pack_split(source, "train", o);
  CHECK(r.samples == 10);
  CHECK(r.shards.size() >= 3);
  CHECK(std::filesystem::path(r.shards[0]).filename() == "data-train-000000.tar.gz");
  const auto packed = read_shards(r.shards);
  REQUIRE(packed.size() == 10);
  DecodeOptions rgb;
  for (int64_t i = 0; i < 10; ++i) {
    const auto& [label, bytes] = packed.at(key_of(i));
    CHECK(label == i % 3);
    CHECK(encoded_image_extension(bytes) == "png");
    const cv::Mat decoded = decode_image(bytes, "packed", rgb);
    CHECK(cv::norm(decoded, source.load(i).pixels, cv::NORM_INF) == 0);  // lossless, RGB order kept
  }
}

TEST_CASE("data pack: pack a folder, train one epoch from the shards, the same labels",
          "[data][webdataset][pack][cli]") {
  TempDir dir;
  const std::string folder = small_folder(dir);
  const std::string folder_config = dir.write(
      "folder.yaml", "data: {source: folder, root: " + folder + ", val_split: val, test_split: val}\n");
  const std::string shards = dir.path("shards");
  const auto [status, text] = run_softvit("data pack --config " + folder_config + " --output " + shards +
                                          " --samples-per-shard 4 --gz");
  INFO(text);
  REQUIRE(status == 0);
  CHECK(text.find("split train: 12 samples in 3 shards") != std::string::npos);
  CHECK(text.find("split val: 6 samples in 2 shards") != std::string::npos);
  CHECK(text.find("data.shards: [\"data-{split}-*.tar.gz\"]") != std::string::npos);

  const std::string common =
      "model: {name: vit_mini_patch4_28, img_size: 8, patch_size: 4, depth: 1, embed_dim: 16, num_heads: 2}\n"
      "train: {epochs: 1, batch_size: 4, eval_batch_size: 4}\n"
      "run: {log_every: 1, threads: 1}\n";
  const std::string shard_config = dir.write(
      "shards.yaml", common + "data: {source: webdataset, root: " + shards +
                         ", shards: [\"data-{split}-*.tar.gz\"], classes_file: classes.txt, val_split: val, "
                         "test_split: val, "
                         "train_transforms: [\"resize(size=8x8)\"], eval_transforms: [\"resize(size=8x8)\"], "
                         "workers: 2}\n");
  const auto [train_status, train_text] =
      run_softvit("train --config " + shard_config + " --output " + dir.path("run"));
  INFO(train_text);
  REQUIRE(train_status == 0);
  CHECK(train_text.find("12 train (train), 6 val (val), 3 classes") != std::string::npos);
  CHECK(read_checkpoint_info(dir.path("run/checkpoints/last.pt")).classes ==
        std::vector<std::string>{"cat", "dog", "eel"});

  // Evaluation batches of the shards hold the folder's labels, sample for sample (keys are indices).
  const RunConfig shard_run = load_config(shard_config, {});
  const auto source = make_source(testing::folder_data(folder), "val");
  auto loader = make_loader(shard_run, "val", false);
  loader->start_epoch(0);
  int64_t seen = 0;
  while (auto b = loader->next())
    for (size_t i = 0; i < b->names.size(); ++i, ++seen) {
      const int64_t index = std::stoll(b->names[i].substr(b->names[i].find(':') + 1));
      CHECK(b->labels[static_cast<int64_t>(i)].item<int64_t>() == source->label(index));
    }
  CHECK(seen == 6);

  // data inspect on the shards: the counts the folder has.
  const auto [inspect_status, inspect_text] = run_softvit("data inspect --config " + shard_config);
  INFO(inspect_text);
  CHECK(inspect_status == 0);
  CHECK(inspect_text.find("split train: 12 samples") != std::string::npos);
  CHECK(inspect_text.find("0 cat: 5") != std::string::npos);
  CHECK(inspect_text.find("2 eel: 4") != std::string::npos);
  CHECK(inspect_text.find("split val: 6 samples") != std::string::npos);
  CHECK(inspect_text.find("unreadable in total: 0") != std::string::npos);
}

TEST_CASE("data inspect on shards lists unreadable members", "[data][webdataset][cli]") {
  TempDir dir;
  auto members = testing::samples(0, 6, 2);
  members[4].second = {1, 2, 3};                      // s2.png
  members.push_back({"s9.png", testing::png_of(9)});  // no label
  testing::write_shard(dir.path("ds/set-train-000000.tar"), members);
  const std::string config = dir.write("c.yaml", "data: {source: webdataset, root: " + dir.path("ds") +
                                                     ", shards: [\"set-{split}-*.tar\"], "
                                                     "val_split: train, test_split: train}\n");
  const auto [status, text] = run_softvit("data inspect --config " + config);
  INFO(text);
  CHECK(status == 0);
  CHECK(text.find("split train: 6 samples") != std::string::npos);
  CHECK(text.find("0 0: 3") != std::string::npos);
  CHECK(text.find("width 8..8") != std::string::npos);
  CHECK(text.find("set-train-000000.tar:s2") != std::string::npos);
  CHECK(text.find("set-train-000000.tar:s9: no .cls member") != std::string::npos);
  CHECK(text.find("unreadable in total: 2") != std::string::npos);
}
