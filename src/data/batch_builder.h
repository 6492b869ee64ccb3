// What every loader does between a sample's raw image and a Batch, shared by the Loader
// (loader.h) and the ShardLoader (shard_loader.h): the transform pipeline and the random-erasing
// box of each sample, then the batch tensor (uint8 for CUDA, normalised float on the CPU), labels,
// erasing and mixup/cutmix. How the samples are found and ordered is the loader's business.
//
// With data.decode: gpu (training loaders) the workers only plan each sample's crop and flip
// (gpu_decode/device_plan.h) and finish() decodes, crops, resizes, flips and normalises the whole
// batch on the device (gpu_decode/device_batch.h); erasing and mixing are drawn as on the CPU path.
// Where the path cannot run (no CUDA device, no nvJPEG in the build) the loader says so once and
// decodes on the CPU, giving exactly the batches of data.decode: cpu.
#pragma once
#include <array>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "data/batch.h"
#include "data/gpu_decode/device_plan.h"
#include "data/rng.h"
#include "data/sources/source.h"
#include "data/transforms/mixup.h"
#include "data/transforms/pipeline.h"

namespace softvit {

struct LoaderConfig;
class DeviceBatchDecoder;

// One sample as a worker thread leaves it: its uint8 pixels, or on the GPU decode path the job the
// device finishes.
struct SampleImage {
  cv::Mat pixels;
  DeviceSample device;
};

// A batch as a worker thread leaves it; BatchBuilder::finish makes it a Batch.
struct PreparedBatch {
  torch::Tensor pixels;  // CUDA: uint8 B x C x H x W (pinned), normalised by finish()
  torch::Tensor images;  // CPU: float, normalised by the worker
  torch::Tensor labels, targets;
  std::vector<EraseBox> erase;
  torch::Tensor erase_noise;  // CUDA: the boxes' noise, packed and pinned (pack_erase_noise)
  MixPlan mix;
  bool finished = false;  // erasing and mixing done (CPU path)
  std::vector<std::string> names;
  std::vector<DeviceSample> device_samples;       // data.decode: gpu: decoded by finish()
  cv::Size device_size;                           // their output size
  std::vector<DataProblem> unreadable_on_device;  // set by finish(): samples it replaced (on_error skip)
};

class BatchBuilder {
 public:
  BatchBuilder() = default;
  // Checks data.mean / data.std against the channels and builds the pipeline; the mixup classes
  // come from options.mixup.classes.
  explicit BatchBuilder(const LoaderConfig& options);

  // Decodes and transforms one sample (on the GPU decode path: plans its crop and flip); plans its
  // erasing box. Throws DataError naming the sample.
  SampleImage transform(const RawImage& raw, Rng& rng, EraseBox& erase) const;

  // Images (uint8 H x W x C, all of one size; a mismatch is a DataError naming name_of(i)) and
  // labels (int64 CPU tensor, B or B x classes) into `out`; mix_rng draws the batch's mixup.
  void assemble(PreparedBatch& out, std::vector<SampleImage> images, std::vector<EraseBox> erase,
                torch::Tensor labels, Rng& mix_rng, const std::function<std::string(size_t)>& name_of) const;

  // The batch on the configured device: decoded (GPU decode path), normalised (CUDA), erased and
  // mixed. Called by one consumer thread.
  Batch finish(PreparedBatch& prepared) const;

 private:
  void normalise_into(const cv::Mat& image, float* out) const;
  Batch finish_on_device(PreparedBatch& prepared) const;

  DecodeOptions decode_;
  bool roi_decode_ = true;
  std::string transforms_key_;
  MixupOptions mixup_;
  torch::Device device_ = torch::kCPU;
  Pipeline pipeline_;
  float lut_[3][256] = {};                  // per channel: byte -> normalised value
  torch::Tensor device_mean_, device_std_;  // CUDA: 255 mean and 255 std, 1 x C x 1 x 1
  bool device_decode_ = false;
  bool skip_bad_ = false;
  DevicePlanner planner_;
  std::array<float, 3> mean255_ = {}, std255_ = {};
  // Made by the first finish() on the consumer thread (nvJPEG's state belongs to one thread).
  mutable std::shared_ptr<DeviceBatchDecoder> device_decoder_;
};

}  // namespace softvit
