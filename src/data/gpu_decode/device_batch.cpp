#include "data/gpu_decode/device_batch.h"

#include <c10/core/DeviceGuard.h>
#include <c10/core/impl/VirtualGuardImpl.h>

#include "core/error.h"
#include "core/strings.h"
#include "data/decode.h"
#include "data/gpu_decode/crop_resize_reference.h"
#include "data/gpu_decode/nvjpeg_decoder.h"
#include "kernels/gaussian_kernel.h"

namespace softvit {

DeviceBatchDecoder::DeviceBatchDecoder(torch::Device device, std::array<float, 3> mean255,
                                       std::array<float, 3> std255, bool skip_bad)
    : device_(device), mean255_(mean255), std255_(std255), skip_bad_(skip_bad) {
  if (device_.is_cuda()) {
    const c10::DeviceGuard guard(device_);
    nvjpeg_ = std::make_unique<NvjpegDecoder>();
  }
}

DeviceBatchDecoder::~DeviceBatchDecoder() = default;

std::string DeviceBatchDecoder::describe() const {
  if (!device_.is_cuda()) return "OpenCV decode + ATen crop/resize reference on the CPU";
  return cat("nvJPEG (", nvjpeg_->backends(), ") + ",
             kernels::cuda_kernels_compiled() ? "the crop_resize kernel" : "the ATen crop/resize reference");
}

torch::Tensor DeviceBatchDecoder::decode_on_cpu(const DeviceSample& s) const {
  DecodeOptions rgb;
  rgb.channels = 3;
  cv::Mat m = s.jpeg.empty() ? s.pixels : decode_image(s.jpeg, s.name, rgb);
  if (!m.isContinuous()) m = m.clone();
  auto hwc = torch::from_blob(m.data, {m.rows, m.cols, 3}, torch::kUInt8);
  return device_.is_cuda() ? hwc.to(device_) : hwc.clone();
}

DeviceBatchDecoder::Result DeviceBatchDecoder::run(std::vector<DeviceSample> samples, cv::Size out) {
  const c10::DeviceGuard guard(device_);  // nvJPEG and the kernel work on the current device
  const size_t n = samples.size();
  std::vector<torch::Tensor> images(n);
  std::vector<std::string> errors(n);
  auto decode_alone = [&](size_t i) {  // the CPU decoder: the fallback, and the CPU device's decoder
    try {
      images[i] = decode_on_cpu(samples[i]);
    } catch (const DataError& e) {
      errors[i] = e.what();
    }
  };
  std::vector<size_t> jpegs;
  for (size_t i = 0; i < n; ++i) {
    if (nvjpeg_ && !samples[i].jpeg.empty())
      jpegs.push_back(i);
    else
      decode_alone(i);
  }
  if (!jpegs.empty()) {
    std::vector<EncodedJpeg> batch;
    for (size_t i : jpegs) batch.push_back({&samples[i].jpeg, samples[i].name});
    try {
      const auto decoded = nvjpeg_->decode(batch);
      for (size_t k = 0; k < jpegs.size(); ++k) images[jpegs[k]] = decoded[k];
    } catch (const DataError&) {  // one file failed the call: each alone, the CPU for the rejected
      for (size_t i : jpegs) {
        try {
          images[i] = nvjpeg_->decode({{&samples[i].jpeg, samples[i].name}})[0];
        } catch (const DataError&) {
          decode_alone(i);
        }
      }
    }
  }
  // A decoded image too small for its box (a JPEG whose header lied) is unreadable as well.
  for (size_t i = 0; i < n; ++i) {
    const auto& j = samples[i].job;
    if (images[i].defined() && (j.x + j.w > images[i].size(1) || j.y + j.h > images[i].size(0)))
      errors[i] = cat(samples[i].name, ": decoded to ", images[i].size(1), "x", images[i].size(0),
                      ", smaller than its header says");
  }
  Result result;
  result.source.resize(n);
  for (size_t i = 0; i < n; ++i) result.source[i] = static_cast<int64_t>(i);
  for (size_t i = 0; i < n; ++i) {
    if (errors[i].empty()) continue;
    if (!skip_bad_) throw DataError(cat(errors[i], " (data.on_error: skip would skip it)"));
    result.unreadable.push_back({samples[i].name, errors[i]});
    size_t k = 1;  // the batch's next readable sample takes its place
    while (k < n && !errors[(i + k) % n].empty()) ++k;
    if (k == n) throw DataError(cat("all ", n, " images of the batch are unreadable, e.g. ", errors[i]));
    result.source[i] = static_cast<int64_t>((i + k) % n);
  }
  std::vector<torch::Tensor> used(n);
  std::vector<kernels::CropJob> jobs(n);
  for (size_t i = 0; i < n; ++i) {
    const auto from = static_cast<size_t>(result.source[i]);
    used[i] = images[from];
    jobs[i] = samples[from].job;
  }
  if (device_.is_cuda() && kernels::cuda_kernels_compiled())
    result.images = kernels::crop_resize_normalise_cuda(used, jobs, out.height, out.width, mean255_, std255_,
                                                        torch::kFloat32);
  else
    result.images = crop_resize_normalise_reference(used, jobs, out.height, out.width, mean255_, std255_,
                                                    torch::kFloat32);
  if (device_.is_cuda()) {  // the bytes stay until an event after this batch's work has passed
    while (!in_flight_.empty() && in_flight_.front().second->query()) in_flight_.pop_front();
    c10::impl::VirtualGuardImpl guard(c10::DeviceType::CUDA);
    auto done = std::make_unique<c10::Event>(c10::DeviceType::CUDA);
    done->record(guard.getStream(device_));
    in_flight_.emplace_back(std::move(samples), std::move(done));
  }
  return result;
}

}  // namespace softvit
