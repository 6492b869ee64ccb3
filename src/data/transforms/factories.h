// Constructors of the per-sample transforms from their config text (see pipeline.cpp for the
// name table). Each throws ConfigError naming the entry when an argument is wrong.
#pragma once
#include <vector>

#include "data/transforms/transform.h"
#include "data/transforms/transform_spec.h"

namespace softvit {

// Pixel values used to fill areas uncovered by geometric ops (RandAugment: the data mean).
struct TransformContext {
  std::vector<double> fill = {0.0};  // 0..255 per channel
};

TransformPtr make_resize(const TransformSpec& spec);       // resize(size=256 | size=HxW, interpolation=)
TransformPtr make_center_crop(const TransformSpec& spec);  // center_crop(size=224 | size=HxW)
TransformPtr make_pad_crop(const TransformSpec& spec);     // pad_crop(padding=4)
TransformPtr make_random_resized_crop(
    const TransformSpec& spec);  // random_resized_crop(size=, scale=, ratio=, interpolation=)
TransformPtr make_hflip(const TransformSpec& spec);   // hflip(p=0.5)
TransformPtr make_vflip(const TransformSpec& spec);   // vflip(p=0.5)
TransformPtr make_rotate(const TransformSpec& spec);  // rotate(degrees=15, fill=0)
TransformPtr make_color_jitter(
    const TransformSpec& spec);  // color_jitter(brightness=, contrast=, saturation=, hue=)
TransformPtr make_rand_augment(const TransformSpec& spec,
                               const TransformContext& context);  // rand_augment(rand-m9-mstd0.5-inc1)

// "bilinear" | "bicubic" | "nearest" | "area" -> cv::INTER_*; "random" -> -1 (bilinear or bicubic
// per sample, as timm's random interpolation).
int parse_interpolation(const TransformSpec& spec, const std::string& fallback);
int pick_interpolation(int interpolation, Rng& rng);

// "224" -> 224 x 224; "32x48" -> height 32, width 48.
cv::Size parse_size(const TransformSpec& spec, const std::string& key, bool required);

}  // namespace softvit
