// The device's half of the GPU decode path (data.decode: gpu; device_plan.h is the worker's): a
// batch's JPEGs decoded by nvJPEG in one batched call, pixels the CPU decoded copied up, and every
// sample cropped, resized, flipped and normalised into one B x 3 x H x W float tensor by one kernel
// (kernels/crop_resize.h; its ATen reference where the kernels are not built). On a CPU device the
// same steps run with OpenCV's decoder and the ATen reference: that is how CI checks the path's
// plans and bookkeeping without a GPU.
//
// A JPEG the device decoder rejects is decoded on the CPU instead; one that fails there too is a
// DataError naming the file, or under data.on_error skip is replaced by another sample of the batch
// (its image, crop and label), as the CPU path replaces an unreadable training sample.
#pragma once
#include <c10/core/Event.h>
#include <torch/torch.h>

#include <array>
#include <deque>
#include <memory>
#include <utility>
#include <vector>

#include "data/gpu_decode/device_plan.h"
#include "data/sources/source.h"

namespace softvit {

class NvjpegDecoder;

class DeviceBatchDecoder {
 public:
  // mean255 / std255: data.mean and data.std times 255, per channel.
  DeviceBatchDecoder(torch::Device device, std::array<float, 3> mean255, std::array<float, 3> std255,
                     bool skip_bad);
  ~DeviceBatchDecoder();
  DeviceBatchDecoder(const DeviceBatchDecoder&) = delete;
  DeviceBatchDecoder& operator=(const DeviceBatchDecoder&) = delete;

  struct Result {
    torch::Tensor images;                 // float32 B x 3 x H x W, normalised, on the device
    std::vector<int64_t> source;          // per row: the sample whose image and crop it holds
    std::vector<DataProblem> unreadable;  // the samples replaced (skip_bad)
  };
  // Not thread-safe: one consumer thread calls it (BatchBuilder::finish). Keeps the samples' bytes
  // until the device has finished with them (nvJPEG may read them after it returns).
  Result run(std::vector<DeviceSample> samples, cv::Size out);

  // "nvJPEG (hardware + cuda) + crop_resize kernel" and the like: what runs, for the log.
  std::string describe() const;

 private:
  torch::Tensor decode_on_cpu(const DeviceSample& s) const;

  torch::Device device_;
  std::array<float, 3> mean255_, std255_;
  bool skip_bad_;
  std::unique_ptr<NvjpegDecoder> nvjpeg_;  // CUDA devices only
  // Batches queued on the device, each with an event recorded after its work.
  std::deque<std::pair<std::vector<DeviceSample>, std::unique_ptr<c10::Event>>> in_flight_;
};

}  // namespace softvit
