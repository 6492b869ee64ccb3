// What every loader does between a sample's raw image and a Batch, shared by the Loader
// (loader.h) and the ShardLoader (shard_loader.h): the transform pipeline and the random-erasing
// box of each sample, then the batch tensor (uint8 for CUDA, normalised float on the CPU), labels,
// erasing and mixup/cutmix. How the samples are found and ordered is the loader's business.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "data/batch.h"
#include "data/rng.h"
#include "data/sources/source.h"
#include "data/transforms/mixup.h"
#include "data/transforms/pipeline.h"

namespace softvit {

struct LoaderConfig;

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
};

class BatchBuilder {
 public:
  BatchBuilder() = default;
  // Checks data.mean / data.std against the channels and builds the pipeline; the mixup classes
  // come from options.mixup.classes.
  explicit BatchBuilder(const LoaderConfig& options);

  // Decodes and transforms one sample; plans its erasing box. Throws DataError naming the sample.
  cv::Mat transform(const RawImage& raw, Rng& rng, EraseBox& erase) const;

  // Images (uint8 H x W x C, all of one size; a mismatch is a DataError naming name_of(i)) and
  // labels (int64 CPU tensor, B or B x classes) into `out`; mix_rng draws the batch's mixup.
  void assemble(PreparedBatch& out, const std::vector<cv::Mat>& images, std::vector<EraseBox> erase,
                torch::Tensor labels, Rng& mix_rng, const std::function<std::string(size_t)>& name_of) const;

  // The batch on the configured device: normalised (CUDA), erased and mixed.
  Batch finish(PreparedBatch& prepared) const;

 private:
  void normalise_into(const cv::Mat& image, float* out) const;

  DecodeOptions decode_;
  bool roi_decode_ = true;
  std::string transforms_key_;
  MixupOptions mixup_;
  torch::Device device_ = torch::kCPU;
  Pipeline pipeline_;
  float lut_[3][256] = {};                  // per channel: byte -> normalised value
  torch::Tensor device_mean_, device_std_;  // CUDA: 255 mean and 255 std, 1 x C x 1 x 1
};

}  // namespace softvit
