#include "data/batch_builder.h"

#include "core/error.h"
#include "core/strings.h"
#include "data/gpu_decode/device_batch.h"
#include "data/gpu_decode/nvjpeg_decoder.h"
#include "data/loader.h"
#include "data/planes.h"
#include "log/log.h"

namespace softvit {

BatchBuilder::BatchBuilder(const LoaderConfig& options)
    : decode_(options.decode),
      roi_decode_(options.roi_decode),
      transforms_key_(options.transforms_key),
      mixup_(options.mixup),
      device_(options.device) {
  const int c = options.decode.channels;
  auto stats = [c](const std::vector<double>& v, const char* key) {
    if (v.size() != 1 && static_cast<int>(v.size()) != c)
      throw ConfigError(cat("data.", key, " has ", v.size(), " values for ", c, "-channel images"));
  };
  stats(options.mean, "mean");
  stats(options.std, "std");
  TransformContext context;
  context.fill.clear();
  for (double m : options.mean) context.fill.push_back(std::min(255.0, std::nearbyint(255.0 * m)));
  pipeline_ = Pipeline(options.transforms, options.transforms_key, context);
  for (int ch = 0; ch < 3; ++ch) {
    const double mean = options.mean[std::min<size_t>(ch, options.mean.size() - 1)];
    const double std = options.std[std::min<size_t>(ch, options.std.size() - 1)];
    for (int v = 0; v < 256; ++v) lut_[ch][v] = static_cast<float>((v / 255.0 - mean) / std);
  }
  if (device_.is_cuda()) {  // 255 mean and 255 std as 1 x C x 1 x 1, on the device once
    auto stat = [&](const std::vector<double>& v) {
      auto t = torch::tensor(v, torch::kFloat32).mul_(255.0);
      return (t.numel() == 1 ? t.expand({c}).contiguous() : t).to(device_).view({1, -1, 1, 1});
    };
    device_mean_ = stat(options.mean);
    device_std_ = stat(options.std);
  }
  if (options.decode_on_device) {
    // The pipeline is checked everywhere, so a config that runs here runs on the GPU machine too.
    planner_ = DevicePlanner(pipeline_, transforms_key_, c);
    std::string why_not;
    if (!device_.is_cuda() && !options.device_decode_on_cpu)
      why_not = cat("run.device is ", device_.str(), ", not a CUDA GPU");
    else if (device_.is_cuda() && !nvjpeg_compiled())
      why_not = "this softvit was built without nvJPEG (cmake/Nvjpeg.cmake)";
    if (why_not.empty()) {
      device_decode_ = true;
      skip_bad_ = options.skip_bad;
      for (int ch = 0; ch < 3; ++ch) {
        mean255_[ch] =
            static_cast<float>(255.0 * options.mean[std::min<size_t>(ch, options.mean.size() - 1)]);
        std255_[ch] = static_cast<float>(255.0 * options.std[std::min<size_t>(ch, options.std.size() - 1)]);
      }
    } else {
      log::warn(cat("data.decode: gpu: ", why_not,
                    "; decoding on the CPU instead (the batches of data.decode: cpu)"));
    }
  }
}

SampleImage BatchBuilder::transform(const RawImage& raw, Rng& rng, EraseBox& erase) const {
  SampleImage sample;
  int channels = 3, rows = 0, cols = 0;
  if (device_decode_) {
    sample.device = planner_.plan(raw, decode_, rng);
    rows = planner_.output_size().height;
    cols = planner_.output_size().width;
  } else {
    sample.pixels = pipeline_.run(raw, decode_, roi_decode_, rng);
    channels = sample.pixels.channels();
    rows = sample.pixels.rows;
    cols = sample.pixels.cols;
  }
  if (pipeline_.erasing()) erase = plan_erase(*pipeline_.erasing(), channels, rows, cols, rng);
  return sample;
}

void BatchBuilder::normalise_into(const cv::Mat& image, float* out) const {
  const int c = image.channels(), h = image.rows, w = image.cols;
  const size_t plane = static_cast<size_t>(h) * w;
  for (int y = 0; y < h; ++y) {
    const uint8_t* row = image.ptr<uint8_t>(y);
    for (int ch = 0; ch < c; ++ch) {
      float* dst = out + ch * plane + static_cast<size_t>(y) * w;
      const float* lut = lut_[ch];
      for (int x = 0; x < w; ++x) dst[x] = lut[row[x * c + ch]];
    }
  }
}

void BatchBuilder::assemble(PreparedBatch& out, std::vector<SampleImage> images, std::vector<EraseBox> erase,
                            torch::Tensor labels, Rng& mix_rng,
                            const std::function<std::string(size_t)>& name_of) const {
  const bool cuda = device_.is_cuda();
  if (device_decode_) {  // the device decodes them in finish(); everything else as below
    for (auto& image : images) out.device_samples.push_back(std::move(image.device));
    out.device_size = planner_.output_size();
    out.labels = cuda ? labels.pin_memory() : std::move(labels);
    out.erase_noise = pack_erase_noise(erase, /*pinned=*/cuda);
    for (auto& box : erase) box.noise = torch::Tensor();
    out.erase = std::move(erase);
    out.mix = plan_mix(mixup_, out.device_size.height, out.device_size.width, mix_rng);
    return;
  }
  const auto n = static_cast<int64_t>(images.size());
  const cv::Mat& first = images[0].pixels;
  const int c = first.channels(), h = first.rows, w = first.cols;
  for (size_t i = 0; i < images.size(); ++i) {
    const cv::Mat& m = images[i].pixels;
    if (m.rows != h || m.cols != w || m.channels() != c)
      throw DataError(cat("sample ", name_of(i), " is ", m.cols, "x", m.rows, "x", m.channels(),
                          " but the batch's first is ", w, "x", h, "x", c, "; end ", transforms_key_,
                          " with a fixed size (resize=HxW, center_crop, random_resized_crop)"));
  }
  if (cuda) {
    out.pixels = torch::empty({n, c, h, w}, torch::TensorOptions(torch::kUInt8).pinned_memory(true));
    auto* dst = out.pixels.data_ptr<uint8_t>();
    const size_t plane = static_cast<size_t>(h) * w;
    for (int64_t i = 0; i < n; ++i)
      interleaved_to_planes(images[static_cast<size_t>(i)].pixels, dst + static_cast<size_t>(i) * c * plane);
    out.labels = labels.pin_memory();
    out.erase_noise = pack_erase_noise(erase, /*pinned=*/true);
    for (auto& box : erase) box.noise = torch::Tensor();  // packed: the boxes keep their places only
  } else {
    out.images = torch::empty({n, c, h, w}, torch::kFloat32);
    float* dst = out.images.data_ptr<float>();
    for (int64_t i = 0; i < n; ++i)
      normalise_into(images[static_cast<size_t>(i)].pixels, dst + static_cast<size_t>(i) * c * h * w);
    out.labels = std::move(labels);
  }
  out.erase = std::move(erase);
  out.mix = plan_mix(mixup_, h, w, mix_rng);
  if (!cuda) {
    apply_erase(out.images, out.erase);
    apply_mix(out.images, out.mix);
    if (mixup_.enabled()) out.targets = mix_targets(out.labels, mixup_, out.mix);
    out.erase.clear();
    out.finished = true;
  }
}

Batch BatchBuilder::finish(PreparedBatch& prepared) const {
  if (!prepared.device_samples.empty()) return finish_on_device(prepared);
  if (prepared.finished) return Batch{prepared.images, prepared.labels, prepared.targets, prepared.names};
  // CUDA: normalise on the device, (x - 255 mean) / (255 std), then erase and mix there.
  Batch batch;
  batch.images = prepared.pixels.to(device_, /*non_blocking=*/true)
                     .to(torch::kFloat32)
                     .sub_(device_mean_)
                     .div_(device_std_);
  batch.labels = prepared.labels.to(device_, /*non_blocking=*/true);
  if (prepared.erase_noise.numel() > 0)  // no box in this batch: no copy to make
    apply_erase(batch.images, prepared.erase, prepared.erase_noise.to(device_, /*non_blocking=*/true));
  apply_mix(batch.images, prepared.mix);
  if (mixup_.enabled()) batch.targets = mix_targets(batch.labels, mixup_, prepared.mix);
  batch.names = prepared.names;
  return batch;
}

Batch BatchBuilder::finish_on_device(PreparedBatch& prepared) const {
  if (!device_decoder_) {
    device_decoder_ = std::make_shared<DeviceBatchDecoder>(device_, mean255_, std255_, skip_bad_);
    log::info(cat("data.decode: gpu: ", device_decoder_->describe()));
  }
  auto decoded = device_decoder_->run(std::move(prepared.device_samples), prepared.device_size);
  Batch batch;
  batch.images = std::move(decoded.images);
  torch::Tensor labels = prepared.labels;
  batch.names = prepared.names;
  if (!decoded.unreadable.empty()) {  // replaced rows take their stand-in's label and name
    labels = labels.index_select(0, torch::tensor(decoded.source, torch::kInt64));
    for (size_t i = 0; i < batch.names.size(); ++i)
      batch.names[i] = prepared.names[static_cast<size_t>(decoded.source[i])];
    prepared.unreadable_on_device = std::move(decoded.unreadable);
  }
  batch.labels = labels.to(device_, /*non_blocking=*/true);
  if (prepared.erase_noise.numel() > 0)
    apply_erase(batch.images, prepared.erase, prepared.erase_noise.to(device_, /*non_blocking=*/true));
  apply_mix(batch.images, prepared.mix);
  if (mixup_.enabled()) batch.targets = mix_targets(batch.labels, mixup_, prepared.mix);
  return batch;
}

}  // namespace softvit
