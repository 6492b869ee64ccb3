// softvit check decode DIR: nvJPEG's GPU decode (data/gpu_decode) against the CPU decoder every
// loader uses (data/decode.h, libjpeg-turbo through OpenCV) on a folder of JPEGs: the same pixels
// within the two decoders' rounding (IDCT and chroma upsampling differ), and the images per second
// of each. Fails (non-zero exit) when an image's size differs, its PSNR is under --min-psnr, or the
// mean absolute difference over all pixels exceeds --max-mean-diff.
#include <torch/cuda.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "cli/commands.h"
#include "core/error.h"
#include "core/strings.h"
#include "data/decode.h"
#include "data/gpu_decode/nvjpeg_decoder.h"

namespace softvit::cli {
namespace {

namespace fs = std::filesystem;

struct DecodeArgs {
  std::string dir;
  int64_t images = 512;
  int64_t batch = 128;
  double max_mean_diff = 1.0, min_psnr = 30.0;
  bool no_hardware = false;
};

bool is_jpeg_name(const fs::path& p) {
  auto ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".jpg" || ext == ".jpeg";
}

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(cat("cannot read '", path, "'"));
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

void run(const DecodeArgs& a) {
  if (!fs::is_directory(a.dir)) throw DataError(cat("folder '", a.dir, "' does not exist"));
  std::vector<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(a.dir))
    if (entry.is_regular_file() && is_jpeg_name(entry.path())) files.push_back(entry.path().string());
  if (files.empty()) throw DataError(cat("folder '", a.dir, "' holds no .jpg or .jpeg files"));
  std::sort(files.begin(), files.end());
  if (static_cast<int64_t>(files.size()) > a.images) files.resize(a.images);
  std::vector<std::vector<uint8_t>> bytes;
  for (const auto& f : files) bytes.push_back(read_bytes(f));

  NvjpegDecoder decoder(!a.no_hardware);  // throws when the build has no nvJPEG or no CUDA device
  auto batch_of = [&](size_t first) {
    std::vector<EncodedJpeg> batch;
    for (size_t i = first; i < std::min(files.size(), first + a.batch); ++i)
      batch.push_back({&bytes[i], files[i]});
    return batch;
  };
  decoder.decode(batch_of(0));  // warm-up: nvJPEG's buffers, the hardware engines
  torch::cuda::synchronize();
  std::vector<torch::Tensor> gpu;
  int64_t hardware = 0;
  const auto gpu_start = std::chrono::steady_clock::now();
  for (size_t first = 0; first < files.size(); first += a.batch) {
    auto out = decoder.decode(batch_of(first));
    hardware += decoder.last_hardware_count();
    gpu.insert(gpu.end(), out.begin(), out.end());
  }
  torch::cuda::synchronize();
  const double gpu_s = seconds_since(gpu_start);

  DecodeOptions rgb;
  rgb.channels = 3;
  std::vector<cv::Mat> cpu;
  const auto cpu_start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < files.size(); ++i) cpu.push_back(decode_image(bytes[i], files[i], rgb));
  const double cpu_s = seconds_since(cpu_start);

  double sum_abs = 0, worst_psnr = INFINITY;
  int64_t pixels = 0, max_diff = 0;
  std::string worst;
  std::vector<std::string> problems;
  for (size_t i = 0; i < files.size(); ++i) {
    const auto g = gpu[i].cpu();
    const cv::Mat& c = cpu[i];
    if (g.size(0) != c.rows || g.size(1) != c.cols) {
      problems.push_back(cat(files[i], ": GPU ", g.size(1), "x", g.size(0), ", CPU ", c.cols, "x", c.rows));
      continue;
    }
    const auto reference = torch::from_blob(c.data, {c.rows, c.cols, 3}, torch::kUInt8).to(torch::kInt32);
    const auto diff = (g.to(torch::kInt32) - reference).abs();
    const double mse = diff.to(torch::kFloat64).square().mean().item<double>();
    const double psnr = mse > 0 ? 10 * std::log10(255.0 * 255.0 / mse) : INFINITY;
    sum_abs += diff.sum().item<double>();
    pixels += diff.numel();
    max_diff = std::max<int64_t>(max_diff, diff.max().item<int64_t>());
    if (psnr < worst_psnr) worst_psnr = psnr, worst = files[i];
  }
  const double mean_diff = sum_abs / std::max<int64_t>(pixels, 1);
  std::printf("%zu JPEGs from %s; nvJPEG backends: %s (%lld of them on the hardware decoder)\n\n",
              files.size(), a.dir.c_str(), decoder.backends().c_str(), static_cast<long long>(hardware));
  std::printf(
      "| decoder | img/s |\n|---|---|\n| nvJPEG, batches of %lld | %.0f |\n| CPU (libjpeg-turbo), 1 thread | "
      "%.0f |\n\n",
      static_cast<long long>(a.batch), files.size() / gpu_s, files.size() / cpu_s);
  std::printf("GPU against CPU: mean |difference| %.3f, max %lld, worst PSNR %.1f dB (%s)\n", mean_diff,
              static_cast<long long>(max_diff), worst_psnr, worst.c_str());
  for (const auto& p : problems) std::printf("size mismatch: %s\n", p.c_str());
  if (!problems.empty() || mean_diff > a.max_mean_diff || worst_psnr < a.min_psnr)
    throw DataError(
        cat("check decode: the GPU decode differs from the CPU decode beyond the tolerance (mean ", mean_diff,
            " > ", a.max_mean_diff, ", or worst PSNR ", worst_psnr, " dB < ", a.min_psnr, ", or ",
            problems.size(), " size mismatches)"));
}

}  // namespace

void add_check_decode_command(CLI::App& check) {
  auto args = std::make_shared<DecodeArgs>();
  auto* cmd =
      check.add_subcommand("decode", "nvJPEG's GPU decode against the CPU decode on a folder of JPEGs");
  cmd->add_option("dir", args->dir, "folder of JPEGs (searched recursively)")->required();
  cmd->add_option("--images", args->images, "at most this many JPEGs")->check(CLI::PositiveNumber);
  cmd->add_option("--batch", args->batch, "JPEGs per nvJPEG batch")->check(CLI::PositiveNumber);
  cmd->add_option("--max-mean-diff", args->max_mean_diff, "tolerance: mean |GPU - CPU| over all pixels");
  cmd->add_option("--min-psnr", args->min_psnr, "tolerance: every image's PSNR against the CPU decode, dB");
  cmd->add_flag("--no-hardware", args->no_hardware, "nvJPEG's CUDA decoder only, not the hardware decoder");
  cmd->callback([args] { run(*args); });
}

}  // namespace softvit::cli
