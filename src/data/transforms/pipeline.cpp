#include "data/transforms/pipeline.h"

#include <functional>
#include <map>

#include "core/error.h"
#include "core/strings.h"
#include "data/decode.h"
#include "data/jpeg_region.h"

namespace softvit {
namespace {

using Factory = std::function<TransformPtr(const TransformSpec&, const TransformContext&)>;

const std::map<std::string, Factory>& factories() {
  static const std::map<std::string, Factory> table = {
      {"resize", [](const TransformSpec& s, const TransformContext&) { return make_resize(s); }},
      {"center_crop", [](const TransformSpec& s, const TransformContext&) { return make_center_crop(s); }},
      {"pad_crop", [](const TransformSpec& s, const TransformContext&) { return make_pad_crop(s); }},
      {"random_resized_crop",
       [](const TransformSpec& s, const TransformContext&) { return make_random_resized_crop(s); }},
      {"hflip", [](const TransformSpec& s, const TransformContext&) { return make_hflip(s); }},
      {"vflip", [](const TransformSpec& s, const TransformContext&) { return make_vflip(s); }},
      {"rotate", [](const TransformSpec& s, const TransformContext&) { return make_rotate(s); }},
      {"color_jitter", [](const TransformSpec& s, const TransformContext&) { return make_color_jitter(s); }},
      {"rand_augment",
       [](const TransformSpec& s, const TransformContext& c) { return make_rand_augment(s, c); }},
  };
  return table;
}

}  // namespace

std::vector<std::string> transform_names() {
  std::vector<std::string> names;
  for (const auto& entry : factories()) names.push_back(entry.first);
  names.push_back("random_erasing");
  return names;
}

Pipeline::Pipeline(const std::vector<std::string>& specs, const std::string& key,
                   const TransformContext& context) {
  for (size_t i = 0; i < specs.size(); ++i) {
    const TransformSpec spec(specs[i], cat(key, "[", i, "]"));
    if (spec.name() == "random_erasing") {
      if (i + 1 != specs.size())
        throw ConfigError(spec.error("random_erasing must come last (it acts on the normalised batch)"));
      erasing_ = parse_random_erasing(spec);
      continue;
    }
    const auto it = factories().find(spec.name());
    if (it == factories().end())
      throw ConfigError(spec.error(
          cat("unknown transform '", spec.name(), "' (known: ", join(transform_names(), ", "), ")")));
    steps_.push_back(it->second(spec, context));
    steps_.back()->spec = specs[i];
  }
}

cv::Mat Pipeline::run(const RawImage& raw, const DecodeOptions& decode, bool roi_decode, Rng& rng) const {
  cv::Mat image;
  size_t first = 0;
  if (!raw.pixels.empty()) {
    image = convert_pixels(raw.pixels, decode);
    // Views into the source's memory: some OpenCV calls write into their output's buffer.
    if (image.data == raw.pixels.data && !steps_.empty()) image = image.clone();
  } else {
    std::optional<JpegHeader> jpeg;
    if (roi_decode && !steps_.empty() && steps_[0]->plans_crop()) jpeg = read_jpeg_header(raw.encoded);
    if (jpeg && jpeg->orientation == 1 && (jpeg->components == 1 || jpeg->components == 3) &&
        jpeg->width > 0 && jpeg->height > 0) {
      const CropPlan plan = steps_[0]->plan(cv::Size(jpeg->width, jpeg->height), rng);
      image = decode_jpeg_region(raw.encoded, raw.name, plan.box, decode.channels,
                                 decode.dct_scaling ? plan.out : cv::Size());
      steps_[0]->apply_planned(image, plan);
      first = 1;
    } else {
      image = decode_image(raw.encoded, raw.name, decode);
    }
  }
  for (size_t i = first; i < steps_.size(); ++i) steps_[i]->apply(image, rng);
  return image;
}

}  // namespace softvit
