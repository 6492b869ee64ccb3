// The worker thread's half of the GPU decode path (data.decode: gpu): per sample, the crop box and
// flip, drawn exactly as the CPU pipeline draws them (Pipeline::run), so that a seed picks the same
// crops on either path; and what the device will decode: the JPEG's bytes, or pixels the CPU decoded
// where the file is not a JPEG nvJPEG takes (PNG, CMYK, in-memory arrays). device_batch.h is the
// device's half.
//
// The pipelines it can run: a first transform that plans a crop of a fixed output size
// (random_resized_crop, or resize to HxW), with bilinear or bicubic interpolation, then horizontal
// flips only. Anything else (RandAugment, colour jitter, resize of the shorter side) runs on the
// CPU alone, and a config asking for it on the device is an error naming the transform.
#pragma once
#include <opencv2/core.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "data/rng.h"
#include "data/sources/source.h"
#include "data/transforms/pipeline.h"
#include "kernels/crop_resize.h"

namespace softvit {

struct DeviceSample {
  std::vector<uint8_t> jpeg;  // the encoded JPEG for the device's decoder; empty: `pixels` holds it
  cv::Mat pixels;             // H x W x 3 uint8 RGB decoded on the CPU (not a JPEG the device takes)
  kernels::CropJob job;       // in the image's display orientation (EXIF applied)
  std::string name;
};

class DevicePlanner {
 public:
  DevicePlanner() = default;
  // Throws ConfigError naming the entry of `key` (data.train_transforms) that cannot run on the
  // device, or when the images are not 3-channel. Keeps pointers to the pipeline's transforms,
  // which must outlive the planner (they are held by unique_ptr, so moving the Pipeline is fine).
  DevicePlanner(const Pipeline& pipeline, const std::string& key, int channels);

  // The sample's device job. Throws DataError naming the sample when it is not an image or is a
  // truncated JPEG (the CPU path's checks, so data.on_error treats it the same).
  DeviceSample plan(const RawImage& raw, const DecodeOptions& decode, Rng& rng) const;

  cv::Size output_size() const { return out_; }

 private:
  const Transform* crop_ = nullptr;
  std::vector<const Transform*> flips_;
  cv::Size out_;
};

}  // namespace softvit
