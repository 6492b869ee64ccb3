// A per-sample image transform: uint8 pixels (H x W x 1 or 3, RGB) in, uint8 pixels out, with
// every random choice drawn from the sample's own Rng (see loader.h for how it is seeded).
#pragma once
#include <opencv2/core.hpp>

#include <memory>
#include <string>

#include "data/rng.h"

namespace softvit {

// A crop box in the input and the size it is resized to.
struct CropPlan {
  cv::Rect box;
  cv::Size out;
  int interpolation = 1;  // cv::INTER_*
};

class Transform {
 public:
  virtual ~Transform() = default;
  virtual void apply(cv::Mat& image, Rng& rng) const = 0;

  // A transform that starts by cropping a box chosen from the image size alone (resize: the
  // whole image) says so here:
  // plan() draws exactly what apply() would, so the decoder can produce only the box (see
  // jpeg_region.h), and apply_planned() finishes on the cropped pixels.
  virtual bool plans_crop() const { return false; }
  virtual CropPlan plan(cv::Size size, Rng& rng) const { return {}; }
  virtual void apply_planned(cv::Mat& cropped, const CropPlan& plan) const {}

  // What the GPU decode path (data.decode: gpu, data/gpu_decode/device_plan.h) can run on the
  // device in place of apply(): a planned crop whose output size does not depend on the image,
  // and a horizontal flip, whose draw draw_hflip() makes exactly as apply() would.
  virtual bool fixed_output_size() const { return false; }
  virtual bool is_hflip() const { return false; }
  virtual bool draw_hflip(Rng& rng) const { return false; }

  std::string spec;  // the text it was made from, for messages
};

using TransformPtr = std::unique_ptr<Transform>;

}  // namespace softvit
