// softvit bench loader DIR [--generate N] [--images K] [--workers W] [--batch B] [--device D]
// [--no-roi]: images/s of the train pipeline (decode, random_resized_crop 224, hflip -> uint8) and
// the eval pipeline (decode, resize 256, center_crop 224), per core and on all cores, plus the
// whole loader. On CUDA the whole loader's output is what a PyTorch DataLoader with
// pin_memory gives a training loop that normalises on the GPU (scripts/bench_torch_loader.py
// --device cuda does exactly that): uint8 batches in pinned memory, copied and normalised on the
// GPU; on the CPU, normalised float batches. --generate first writes N ImageNet-like JPEGs (about
// 500x375, quality 90) into DIR. With --config F instead of DIR: the configured training loader (any
// data.source, e.g. webdataset shards) over --images images or one epoch, whichever ends first;
// --workers, --batch and --device then set data.workers, train.batch_size and run.device.
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <thread>

#include "cli/commands.h"
#include "core/config.h"
#include "core/error.h"
#include "core/strings.h"
#include "data/loader.h"
#include "data/rng.h"
#include "data/transforms/pipeline.h"

namespace softvit::cli {
namespace {
namespace fs = std::filesystem;

double thread_cpu_seconds() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

// Every image file under a folder, one class: enough to feed the loader.
class FileListSource : public Source {
 public:
  explicit FileListSource(std::vector<std::string> files) : files_(std::move(files)) {}
  int64_t size() const override { return static_cast<int64_t>(files_.size()); }
  const std::vector<std::string>& classes() const override { return classes_; }
  int64_t label(int64_t) const override { return 0; }
  RawImage load(int64_t i) const override {
    return load_file(files_[static_cast<size_t>(i) % files_.size()]);
  }

 private:
  std::vector<std::string> files_;
  std::vector<std::string> classes_ = {"all"};
};

// Smooth colour fields with edges and sensor-like noise, so the JPEGs compress like photos
// (about 100 KB at 500x375, quality 90) rather than like flat synthetic images.
void generate_jpegs(const std::string& dir, int64_t count) {
  const cv::Size sizes[] = {{500, 375}, {500, 375}, {500, 375}, {375, 500},
                            {500, 333}, {500, 400}, {640, 480}};
  fs::create_directories(dir);
  cv::RNG rng(12345);
  for (int64_t i = 0; i < count; ++i) {
    const cv::Size size = sizes[rng.uniform(0, 7)];
    cv::Mat coarse(6 + rng.uniform(0, 6), 8 + rng.uniform(0, 6), CV_8UC3), image;
    rng.fill(coarse, cv::RNG::UNIFORM, 0, 255);
    cv::resize(coarse, image, size, 0, 0, cv::INTER_CUBIC);
    for (int k = 0; k < 12; ++k)
      cv::rectangle(image,
                    cv::Rect(rng.uniform(0, size.width), rng.uniform(0, size.height), rng.uniform(10, 200),
                             rng.uniform(10, 200)),
                    cv::Scalar(rng.uniform(0, 255), rng.uniform(0, 255), rng.uniform(0, 255)),
                    rng.uniform(-1, 4));
    cv::Mat signed_image, noise16(size, CV_16SC3);
    image.convertTo(signed_image, CV_16SC3);
    rng.fill(noise16, cv::RNG::NORMAL, 0, 14);
    signed_image += noise16;
    signed_image.convertTo(image, CV_8UC3);
    cv::imwrite((fs::path(dir) /
                 cat("img", std::string(6 - std::min<size_t>(6, std::to_string(i).size()), '0'), i, ".jpg"))
                    .string(),
                image, {cv::IMWRITE_JPEG_QUALITY, 90});
  }
}

struct Timing {
  double wall = 0, cpu = 0;
  int64_t images = 0;
};

// Runs `pipeline` over `count` images (cycling through the files) on `threads` threads.
Timing time_pipeline(const std::vector<std::string>& files, const Pipeline& pipeline, bool roi,
                     const DecodeOptions& decode, int threads, int64_t count) {
  std::vector<double> cpu(static_cast<size_t>(threads), 0.0);
  std::vector<std::string> errors(static_cast<size_t>(threads));
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      const double c0 = thread_cpu_seconds();
      for (int64_t i = t; i < count; i += threads) {
        const RawImage raw = load_file(files[static_cast<size_t>(i) % files.size()]);
        Rng rng(Rng::key({7, static_cast<uint64_t>(i)}));
        try {
          const cv::Mat out = pipeline.run(raw, decode, roi, rng);
          if (out.cols != 224 || out.rows != 224) errors[static_cast<size_t>(t)] = raw.name + ": not 224x224";
        } catch (const std::exception& e) {
          errors[static_cast<size_t>(t)] = e.what();
        }
      }
      cpu[static_cast<size_t>(t)] = thread_cpu_seconds() - c0;
    });
  for (auto& th : pool) th.join();
  for (const auto& e : errors)
    if (!e.empty()) throw DataError(e);
  Timing timing;
  timing.wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (double c : cpu) timing.cpu += c;
  timing.images = count;
  return timing;
}

double process_cpu_seconds() {
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

// The training loader of a config: the time to open it (a webdataset split is listed then), and img/s
// and img/s per core of its first epoch (up to `images`), ended by a device synchronisation.
void time_configured_loader(const std::string& config_file, const std::vector<std::string>& overrides,
                            int64_t images) {
  const RunConfig config = load_config(config_file, overrides);
  const torch::Device loader_device(config.run.device);
  const auto start = std::chrono::steady_clock::now();
  auto loader = make_loader(config, config.data.train_split, /*train=*/true);
  const auto opened = std::chrono::steady_clock::now();
  loader->start_epoch(0);
  const double cpu0 = process_cpu_seconds();
  int64_t seen = 0;
  while (seen < images) {
    const auto batch = loader->next();
    if (!batch) break;
    seen += batch->labels.size(0);
  }
  const double open_s = std::chrono::duration<double>(opened - start).count();
  if (loader_device.is_cuda()) torch::cuda::synchronize();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - opened).count();
  const double cpu = process_cpu_seconds() - cpu0;
  std::cout
      << config.data.source << " " << config.data.root << ", split " << config.data.train_split << ": "
      << loader->size() << " samples, opened in " << fixed(open_s, 2) << " s\n\n"
      << "| loader | threads | img/s (wall) | img/s per core (CPU time) | images |\n|---|---|---|---|---|\n"
      << "| train split, batches of " << config.train.batch_size << " | " << loader->workers() << " | "
      << fixed(seen / std::max(wall, 1e-9), 0) << " | " << fixed(seen / std::max(cpu, 1e-9), 0) << " | "
      << seen << " |\n";
}

struct LoaderArgs {
  std::string dir, config, device = "auto";
  std::vector<std::string> overrides;
  int64_t generate = 0, images = 600, batch = 128;
  int workers = 0;
  bool no_roi = false, no_dct_scaling = false;
};

// The whole loader (worker threads, batches, the copy to the device): one epoch to start the
// threads and warm the caches, then one timed epoch, ended by a device synchronisation.
void time_whole_loader(const std::vector<std::string>& files, const LoaderArgs& args, int workers, bool roi,
                       const DecodeOptions& decode) {
  const bool cuda = args.device == "cuda" || (args.device == "auto" && torch::cuda::is_available());
  if (cuda && !torch::cuda::is_available()) throw ConfigError("bench loader --device cuda: no CUDA device");
  if (args.images < args.batch)
    throw ConfigError(
        cat("bench loader: --images ", args.images, " is fewer than one batch (--batch ", args.batch, ")"));
  LoaderConfig o;
  o.batch_size = args.batch;
  o.drop_last = true;  // as the DataLoader it is compared with
  o.workers = workers;
  o.roi_decode = roi;
  o.decode = decode;
  o.transforms = {"random_resized_crop(size=224)", "hflip(p=0.5)"};
  o.mean = {0.485, 0.456, 0.406};
  o.std = {0.229, 0.224, 0.225};
  o.device = cuda ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
  std::vector<std::string> subset(files.begin(),
                                  files.begin() + std::min<int64_t>(files.size(), args.images));
  while (static_cast<int64_t>(subset.size()) < args.images)
    subset.push_back(files[subset.size() % files.size()]);
  Loader loader(std::make_shared<FileListSource>(subset), o);
  double wall = 0, cpu = 0;
  int64_t images = 0;
  for (int64_t epoch = 0; epoch < 2; ++epoch) {
    const auto start = std::chrono::steady_clock::now();
    const double cpu0 = process_cpu_seconds();
    loader.start_epoch(epoch);
    images = 0;
    while (auto batch = loader.next()) images += batch->labels.size(0);
    if (cuda) torch::cuda::synchronize();
    wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    cpu = process_cpu_seconds() - cpu0;
  }
  std::cout << "| loader, train pipeline, batches of " << args.batch
            << (cuda ? ": uint8 pinned, normalised on the GPU" : ": normalised float on the CPU") << " | "
            << workers << " | " << fixed(images / wall, 0) << " | " << fixed(images / std::max(cpu, 1e-9), 0)
            << " |\n";
}

}  // namespace

void add_bench_loader_command(CLI::App& bench) {
  auto args = std::make_shared<LoaderArgs>();
  auto* cmd =
      bench.add_subcommand("loader", "images/s of the train and eval image pipelines on a folder of JPEGs");
  cmd->add_option("dir", args->dir, "folder of images (searched recursively)");
  cmd->add_option("--config", args->config, "instead of dir: time the training loader of this config");
  cmd->add_option("--set", args->overrides, "with --config: override an option, key=value (repeatable)");
  cmd->add_option("--generate", args->generate,
                  "first write this many ImageNet-like JPEGs (~500x375, q90) into dir");
  cmd->add_option("--images", args->images, "images per measurement");
  cmd->add_option("--workers", args->workers, "threads for the all-cores rows; 0: all cores");
  cmd->add_option("--batch", args->batch, "the whole loader's batch size")->check(CLI::PositiveNumber);
  cmd->add_option("--device", args->device, "the whole loader's device: auto (CUDA when present), cpu, cuda")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  cmd->add_flag("--no-roi", args->no_roi, "decode whole JPEGs even where the crop would allow less");
  cmd->add_flag("--no-dct-scaling", args->no_dct_scaling, "ROI decoding at full scale (no M/8 DCT scaling)");
  cmd->callback([args, cmd] {
    if (!args->config.empty()) {
      // --workers, --batch and --device stand for the config's options; the rest is for a folder.
      for (const char* folder_only : {"dir", "--generate", "--no-roi", "--no-dct-scaling"})
        if (cmd->count(folder_only) > 0)
          throw ConfigError(
              cat("bench loader: ", folder_only, " applies to a folder of images, not to --config"));
      auto overrides = args->overrides;
      if (cmd->count("--workers") > 0) overrides.push_back(cat("data.workers=", args->workers));
      if (cmd->count("--batch") > 0) overrides.push_back(cat("train.batch_size=", args->batch));
      if (cmd->count("--device") > 0 && args->device != "auto")
        overrides.push_back("run.device=" + args->device);
      return time_configured_loader(args->config, overrides, args->images);
    }
    if (args->dir.empty()) throw ConfigError("bench loader needs a folder of images or --config");
    if (args->generate > 0) generate_jpegs(args->dir, args->generate);
    if (!fs::is_directory(args->dir)) throw DataError(cat("folder '", args->dir, "' does not exist"));
    std::vector<std::string> files;
    uintmax_t bytes = 0;
    for (const auto& entry : fs::recursive_directory_iterator(args->dir))
      if (entry.is_regular_file() && is_image_file(entry.path().string())) {
        files.push_back(entry.path().string());
        bytes += entry.file_size();
      }
    if (files.empty()) throw DataError(cat("folder '", args->dir, "' holds no images"));
    std::sort(files.begin(), files.end());
    const int all = args->workers > 0 ? args->workers : static_cast<int>(std::thread::hardware_concurrency());
    cv::setNumThreads(1);
    const bool roi = !args->no_roi;
    DecodeOptions decode;
    decode.dct_scaling = !args->no_dct_scaling;
    std::cout << files.size() << " images in " << args->dir << ", mean "
              << fixed(bytes / 1024.0 / files.size(), 1) << " KiB; " << args->images
              << " images per row; ROI decode " << (roi ? "on" : "off") << ", DCT scaling "
              << (roi && decode.dct_scaling ? "on" : "off") << "\n\n";
    std::cout << "| pipeline | threads | img/s (wall) | img/s per core (CPU time) |\n|---|---|---|---|\n";
    const TransformContext context;
    const Pipeline train({"random_resized_crop(size=224)", "hflip(p=0.5)"}, "bench", context);
    const Pipeline eval({"resize(size=256)", "center_crop(size=224)"}, "bench", context);
    time_pipeline(files, train, roi, decode, 1, std::min<int64_t>(40, args->images));  // warm the page cache
    for (const auto& [name, pipeline] :
         {std::pair<const char*, const Pipeline*>{"train: decode, random_resized_crop 224, hflip", &train},
          {"eval: decode, resize 256, center_crop 224", &eval}}) {
      for (int threads : {1, all}) {
        const Timing t = time_pipeline(files, *pipeline, roi, decode, threads, args->images);
        std::cout << "| " << name << " | " << threads << " | " << fixed(t.images / t.wall, 0) << " | "
                  << fixed(t.images / t.cpu, 0) << " |\n";
      }
    }
    time_whole_loader(files, *args, all, roi, decode);
  });
}

}  // namespace softvit::cli
