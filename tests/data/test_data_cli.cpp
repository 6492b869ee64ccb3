// softvit data inspect and softvit bench loader end to end.
#include <sys/wait.h>

#include <cstdio>

#include "data_test_util.h"

TEST_CASE("data inspect: classes and counts and sizes and every unreadable file", "[data][cli]") {
  TempDir dir;
  using softvit::testing::encode_rgb;
  using softvit::testing::write_bytes;
  for (int k = 0; k < 3; ++k)
    write_bytes(dir.path("ds/train/cat/" + std::to_string(k) + ".png"),
                encode_rgb(cv::Mat(8, 12, CV_8UC3), ".png"));
  write_bytes(dir.path("ds/train/dog/0.png"), encode_rgb(cv::Mat(10, 10, CV_8UC3), ".png"));
  write_bytes(dir.path("ds/train/dog/broken.jpg"), {0xFF, 0xD8, 0xFF, 0x00, 1, 2});
  std::filesystem::create_directories(dir.path("ds/train/eel"));
  write_bytes(dir.path("ds/test/cat/0.png"), encode_rgb(cv::Mat(8, 12, CV_8UC3), ".png"));
  std::filesystem::create_directories(dir.path("ds/test/dog"));  // a class absent from the test split
  write_bytes(dir.path("ds/test/fox/0.png"), encode_rgb(cv::Mat(8, 12, CV_8UC3), ".png"));  // unknown
  const std::string config = dir.write("c.yaml", "data: {source: folder, root: " + dir.path("ds") + "}\n");
  const auto [status, text] = run_softvit("data inspect --config " + config);
  INFO(text);
  CHECK(status == 0);
  CHECK(text.find("split train: 5 samples") != std::string::npos);
  CHECK(text.find("0 cat: 3") != std::string::npos);
  CHECK(text.find("1 dog: 2") != std::string::npos);
  CHECK(text.find("2 eel: 0") != std::string::npos);
  CHECK(text.find("width 10..12") != std::string::npos);
  CHECK(text.find("broken.jpg") != std::string::npos);
  CHECK(text.find("eel: class folder is empty") != std::string::npos);
  // The test split in the training split's class order, as training and softvit eval label it.
  const auto test = text.substr(text.find("split test:"));
  CHECK(test.find("split test: 1 samples") == 0);
  CHECK(test.find("1 dog: 0") != std::string::npos);
  CHECK(test.find("2 eel: 0") != std::string::npos);
  CHECK(test.find("fox: class folder is not one of the classes given") != std::string::npos);
  CHECK(text.find("unreadable in total: 3") != std::string::npos);  // train: broken.jpg, eel; test: fox
}

TEST_CASE("bench loader: generates JPEGs and reports both pipelines", "[data][cli]") {
  TempDir dir;
  const auto [status, text] = run_softvit("bench loader " + dir.path("jpegs") +
                                          " --generate 6 --images 12 --workers 2 --batch 4 --device cpu");
  INFO(text);
  REQUIRE(status == 0);
  CHECK(text.find("6 images in") != std::string::npos);
  CHECK(text.find("| train: decode, random_resized_crop 224, hflip | 1 |") != std::string::npos);
  CHECK(text.find("| eval: decode, resize 256, center_crop 224 | 2 |") != std::string::npos);
  const auto row = text.find("| loader, train pipeline, batches of 4: normalised float on the CPU | 2 | ");
  REQUIRE(row != std::string::npos);
  CHECK(std::stod(text.substr(row + 74)) > 0);  // 12 images in 3 whole batches were timed
  // Fewer images than one batch would time nothing: an error, not a row of zeros.
  const auto [short_status, short_text] =
      run_softvit("bench loader " + dir.path("jpegs") + " --images 12 --workers 2 --batch 16 --device cpu");
  CHECK(short_status != 0);
  CHECK(short_text.find("--images 12 is fewer than one batch (--batch 16)") != std::string::npos);
}

TEST_CASE("train with the full augmentation recipe and mixup targets then eval the checkpoint",
          "[data][cli]") {
  TempDir dir;
  const std::string config = dir.write(
      "aug.yaml",
      "model: {name: vit_mini_patch4_28, depth: 1, embed_dim: 32, num_heads: 2}\n"
      "data:\n"
      "  source: synthetic\n"
      "  synthetic_samples: 64\n"
      "  synthetic_size: 36\n"
      "  synthetic_classes: 4\n"
      "  mean: [0.5]\n"
      "  std: [0.25]\n"
      "  train_transforms: [\"random_resized_crop(size=28, scale=0.5:1, interpolation=random)\", \"hflip\",\n"
      "                     \"rand_augment(rand-m9-mstd0.5-inc1)\", \"random_erasing(p=0.25)\"]\n"
      "  eval_transforms: [\"resize(size=32)\", \"center_crop(size=28)\"]\n"
      "  mixup: 0.8\n"
      "  cutmix: 1.0\n"
      "  workers: 2\n"
      "train: {epochs: 1, batch_size: 16, eval_batch_size: 32}\n"
      "run: {log_every: 1, threads: 1}\n");
  const std::string out = dir.path("run");
  const auto [status, text] = run_softvit("train --config " + config + " --output " + out);
  INFO(text);
  REQUIRE(status == 0);
  CHECK(text.find("4 classes") != std::string::npos);
  CHECK(text.find("val top-1") != std::string::npos);
  const auto [eval_status, eval_text] =
      run_softvit("eval --checkpoint " + out + "/checkpoints/last.pt --split val");
  INFO(eval_text);
  CHECK(eval_status == 0);
  CHECK(eval_text.find("\"n\": 64") != std::string::npos);
}

TEST_CASE("bench loader --config times the configured training loader (webdataset shards)", "[data][cli]") {
  TempDir dir;
  using softvit::testing::encode_rgb;
  using softvit::testing::write_bytes;
  for (int k = 0; k < 8; ++k)
    write_bytes(dir.path("ds/train/" + std::string(k % 2 ? "a" : "b") + "/" + std::to_string(k) + ".png"),
                encode_rgb(cv::Mat(8, 8, CV_8UC3, cv::Scalar::all(k)), ".png"));
  const std::string folder = dir.write("f.yaml", "data: {source: folder, root: " + dir.path("ds") + "}\n");
  REQUIRE(
      run_softvit("data pack --config " + folder + " --split train --output " + dir.path("shards")).status ==
      0);
  const std::string config =
      dir.write("c.yaml", "data: {source: webdataset, root: " + dir.path("shards") +
                              ", shards: [\"data-{split}-*.tar\"], workers: 2}\ntrain: {batch_size: 4}\n");
  const auto [status, text] = run_softvit("bench loader --config " + config + " --images 100");
  INFO(text);
  REQUIRE(status == 0);
  CHECK(text.find("split train: 8 samples") != std::string::npos);
  CHECK(text.find("| train split, batches of 4 | 2 |") != std::string::npos);
  CHECK(text.find("| 8 |") != std::string::npos);  // one epoch: 2 batches of 4

  // --workers and --batch stand for the config's options; folder-only options are refused.
  const auto [set_status, set_text] =
      run_softvit("bench loader --config " + config + " --workers 1 --batch 2");
  INFO(set_text);
  REQUIRE(set_status == 0);
  CHECK(set_text.find("| train split, batches of 2 | 1 |") != std::string::npos);
  const auto [bad_status, bad_text] = run_softvit("bench loader --config " + config + " --generate 5");
  CHECK(bad_status != 0);
  CHECK(bad_text.find("--generate applies to a folder of images, not to --config") != std::string::npos);
}
