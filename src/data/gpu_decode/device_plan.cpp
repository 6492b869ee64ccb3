#include "data/gpu_decode/device_plan.h"

#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "core/strings.h"
#include "data/decode.h"
#include "data/jpeg_header.h"

namespace softvit {
namespace {

const char* const kCpuOnly = "data.decode: gpu runs a crop of fixed size and horizontal flips on the device";

kernels::Resample resample_of(int interpolation, const std::string& spec) {
  if (interpolation == cv::INTER_LINEAR) return kernels::Resample::bilinear;
  if (interpolation == cv::INTER_CUBIC) return kernels::Resample::bicubic;
  throw ConfigError(
      cat(spec, ": ", kCpuOnly, " with bilinear or bicubic interpolation (use data.decode: cpu)"));
}

}  // namespace

DevicePlanner::DevicePlanner(const Pipeline& pipeline, const std::string& key, int channels) {
  if (channels != 3)
    throw ConfigError(cat("data.decode: gpu decodes to 3-channel RGB; data.channels is ", channels,
                          " (use data.decode: cpu)"));
  const auto& steps = pipeline.steps();
  if (steps.empty() || !steps[0]->plans_crop() || !steps[0]->fixed_output_size())
    throw ConfigError(cat(key, ": ", kCpuOnly,
                          "; it needs a first transform random_resized_crop(size=...) or ",
                          "resize(size=HxW)", steps.empty() ? "" : cat(", not ", steps[0]->spec),
                          " (or use data.decode: cpu)"));
  crop_ = steps[0].get();
  for (size_t i = 1; i < steps.size(); ++i) {
    if (!steps[i]->is_hflip())
      throw ConfigError(cat(key, "[", i, "] ", steps[i]->spec, ": ", kCpuOnly,
                            " (random_resized_crop or resize(size=HxW), then hflip); this transform runs "
                            "on the CPU only: drop it or use data.decode: cpu"));
    flips_.push_back(steps[i].get());
  }
  Rng probe(0);  // the output size and interpolation do not depend on the image
  const CropPlan plan = crop_->plan(cv::Size(64, 64), probe);
  resample_of(plan.interpolation, crop_->spec);
  out_ = plan.out;
}

DeviceSample DevicePlanner::plan(const RawImage& raw, const DecodeOptions& decode, Rng& rng) const {
  DeviceSample s;
  s.name = raw.name;
  cv::Size size;
  std::optional<JpegHeader> header;
  if (raw.pixels.empty()) header = read_jpeg_header(raw.encoded);
  if (header && (header->components == 1 || header->components == 3) && header->width > 0 &&
      header->height > 0) {
    if (jpeg_is_truncated(raw.encoded))
      throw DataError(cat(raw.name, ": truncated JPEG (no end-of-image marker)"));
    s.jpeg = raw.encoded;
    const bool turned = header->orientation >= 5 && header->orientation <= 8;  // EXIF: a quarter turn
    size = turned ? cv::Size(header->height, header->width) : cv::Size(header->width, header->height);
  } else {
    DecodeOptions rgb = decode;
    rgb.channels = 3;
    s.pixels =
        raw.pixels.empty() ? decode_image(raw.encoded, raw.name, rgb) : convert_pixels(raw.pixels, rgb);
    if (!s.pixels.isContinuous()) s.pixels = s.pixels.clone();
    size = s.pixels.size();
  }
  // The draws of Pipeline::run: the crop from the display size, then each flip in turn.
  const CropPlan crop = crop_->plan(size, rng);
  s.job.x = crop.box.x;
  s.job.y = crop.box.y;
  s.job.w = crop.box.width;
  s.job.h = crop.box.height;
  s.job.resample = resample_of(crop.interpolation, crop_->spec);
  for (const Transform* flip : flips_) s.job.flip ^= flip->draw_hflip(rng);
  return s;
}

}  // namespace softvit
