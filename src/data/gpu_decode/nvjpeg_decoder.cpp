#include "data/gpu_decode/nvjpeg_decoder.h"

#include <c10/cuda/CUDAStream.h>
#include <nvjpeg.h>
#include <torch/cuda.h>

#include "core/error.h"
#include "core/strings.h"
#include "data/jpeg_header.h"

namespace softvit {
namespace {

const char* status_name(nvjpegStatus_t s) {
  switch (s) {
    case NVJPEG_STATUS_SUCCESS:
      return "success";
    case NVJPEG_STATUS_NOT_INITIALIZED:
      return "not initialised";
    case NVJPEG_STATUS_INVALID_PARAMETER:
      return "invalid parameter";
    case NVJPEG_STATUS_BAD_JPEG:
      return "bad JPEG";
    case NVJPEG_STATUS_JPEG_NOT_SUPPORTED:
      return "JPEG type not supported";
    case NVJPEG_STATUS_ALLOCATOR_FAILURE:
      return "allocation failed";
    case NVJPEG_STATUS_EXECUTION_FAILED:
      return "execution failed";
    case NVJPEG_STATUS_ARCH_MISMATCH:
      return "not supported on this GPU";
    case NVJPEG_STATUS_INTERNAL_ERROR:
      return "internal error";
    case NVJPEG_STATUS_IMPLEMENTATION_NOT_SUPPORTED:
      return "implementation not supported";
    case NVJPEG_STATUS_INCOMPLETE_BITSTREAM:
      return "incomplete bitstream";
    default:
      return "unknown status";
  }
}

void check(nvjpegStatus_t s, const char* what) {
  if (s != NVJPEG_STATUS_SUCCESS) throw Error(cat("nvJPEG: ", what, " failed: ", status_name(s)));
}

// The stored pixels to display orientation, as OpenCV's EXIF handling does (data/decode.h).
torch::Tensor orient(torch::Tensor hwc, int orientation) {
  switch (orientation) {
    case 2:
      return hwc.flip({1}).contiguous();
    case 3:
      return hwc.flip({0, 1}).contiguous();
    case 4:
      return hwc.flip({0}).contiguous();
    case 5:
      return hwc.transpose(0, 1).contiguous();
    case 6:
      return hwc.transpose(0, 1).flip({1}).contiguous();
    case 7:
      return hwc.transpose(0, 1).flip({0, 1}).contiguous();
    case 8:
      return hwc.transpose(0, 1).flip({0}).contiguous();
    default:
      return hwc;
  }
}

}  // namespace

bool nvjpeg_compiled() { return true; }

struct NvjpegDecoder::State {
  nvjpegHandle_t cuda = nullptr, hardware = nullptr;  // nvJPEG's CUDA decoder; the hardware one, if any
  nvjpegJpegState_t cuda_state = nullptr, hardware_state = nullptr;
  nvjpegJpegStream_t stream = nullptr;  // parses a file to ask the hardware decoder whether it takes it
  int hardware_batch = 0;               // the batch size the hardware state was initialised for
  int64_t last_hardware = 0;

  ~State() {
    if (stream) nvjpegJpegStreamDestroy(stream);
    if (hardware_state) nvjpegJpegStateDestroy(hardware_state);
    if (cuda_state) nvjpegJpegStateDestroy(cuda_state);
    if (hardware) nvjpegDestroy(hardware);
    if (cuda) nvjpegDestroy(cuda);
  }
};

NvjpegDecoder::NvjpegDecoder(bool prefer_hardware) : state_(std::make_unique<State>()) {
  if (!torch::cuda::is_available()) throw ConfigError("JPEG decoding on the GPU: no CUDA device");
  auto& s = *state_;
  check(nvjpegCreateEx(NVJPEG_BACKEND_DEFAULT, nullptr, nullptr, NVJPEG_FLAGS_DEFAULT, &s.cuda), "create");
  check(nvjpegJpegStateCreate(s.cuda, &s.cuda_state), "create a decode state");
  // No hardware decoder on this GPU is not an error: everything goes to the CUDA decoder.
  if (prefer_hardware && nvjpegCreateEx(NVJPEG_BACKEND_HARDWARE, nullptr, nullptr, NVJPEG_FLAGS_DEFAULT,
                                        &s.hardware) == NVJPEG_STATUS_SUCCESS) {
    check(nvjpegJpegStateCreate(s.hardware, &s.hardware_state), "create a hardware decode state");
    check(nvjpegJpegStreamCreate(s.hardware, &s.stream), "create a stream parser");
  } else {
    s.hardware = nullptr;
  }
}

NvjpegDecoder::~NvjpegDecoder() = default;

std::string NvjpegDecoder::backends() const { return state_->hardware ? "hardware + cuda" : "cuda"; }
int64_t NvjpegDecoder::last_hardware_count() const { return state_->last_hardware; }

std::vector<torch::Tensor> NvjpegDecoder::decode(const std::vector<EncodedJpeg>& jpegs) {
  auto& s = *state_;
  const cudaStream_t stream = c10::cuda::getCurrentCUDAStream().stream();
  const auto u8 = torch::TensorOptions().dtype(torch::kUInt8).device(torch::kCUDA);
  std::vector<torch::Tensor> stored(jpegs.size());  // stored orientation
  std::vector<int> orientation(jpegs.size(), 1);
  std::vector<nvjpegImage_t> out(jpegs.size());
  std::vector<size_t> to_hardware, to_cuda;
  for (size_t i = 0; i < jpegs.size(); ++i) {
    const auto& bytes = *jpegs[i].bytes;
    int components = 0, widths[NVJPEG_MAX_COMPONENT] = {}, heights[NVJPEG_MAX_COMPONENT] = {};
    nvjpegChromaSubsampling_t subsampling{};
    const auto info =
        nvjpegGetImageInfo(s.cuda, bytes.data(), bytes.size(), &components, &subsampling, widths, heights);
    if (info != NVJPEG_STATUS_SUCCESS || widths[0] <= 0 || heights[0] <= 0)
      throw DataError(cat(jpegs[i].name, ": not a JPEG nvJPEG can read (", status_name(info), ")"));
    if (const auto header = read_jpeg_header(bytes)) orientation[i] = header->orientation;
    stored[i] = torch::empty({heights[0], widths[0], 3}, u8);
    out[i] = nvjpegImage_t{};
    out[i].channel[0] = stored[i].data_ptr<uint8_t>();
    out[i].pitch[0] = static_cast<size_t>(widths[0]) * 3;
    int unsupported = 1;
    if (s.hardware &&
        nvjpegJpegStreamParse(s.hardware, bytes.data(), bytes.size(), 0, 0, s.stream) ==
            NVJPEG_STATUS_SUCCESS &&
        nvjpegDecodeBatchedSupported(s.hardware, s.stream, &unsupported) == NVJPEG_STATUS_SUCCESS &&
        unsupported == 0)
      to_hardware.push_back(i);
    else
      to_cuda.push_back(i);
  }
  s.last_hardware = static_cast<int64_t>(to_hardware.size());
  if (!to_hardware.empty()) {
    const int n = static_cast<int>(to_hardware.size());
    if (n != s.hardware_batch) {
      check(nvjpegDecodeBatchedInitialize(s.hardware, s.hardware_state, n, 1, NVJPEG_OUTPUT_RGBI),
            "initialise a hardware batch");
      s.hardware_batch = n;
    }
    std::vector<const unsigned char*> data;
    std::vector<size_t> lengths;
    std::vector<nvjpegImage_t> dest;
    for (size_t i : to_hardware) {
      data.push_back(jpegs[i].bytes->data());
      lengths.push_back(jpegs[i].bytes->size());
      dest.push_back(out[i]);
    }
    const auto status =
        nvjpegDecodeBatched(s.hardware, s.hardware_state, data.data(), lengths.data(), dest.data(), stream);
    if (status != NVJPEG_STATUS_SUCCESS) {  // one bad file fails the batch: find it on the CUDA decoder
      to_cuda.insert(to_cuda.end(), to_hardware.begin(), to_hardware.end());
      s.last_hardware = 0;
    }
  }
  for (size_t i : to_cuda) {
    const auto& bytes = *jpegs[i].bytes;
    const auto status =
        nvjpegDecode(s.cuda, s.cuda_state, bytes.data(), bytes.size(), NVJPEG_OUTPUT_RGBI, &out[i], stream);
    if (status != NVJPEG_STATUS_SUCCESS)
      throw DataError(cat(jpegs[i].name, ": nvJPEG could not decode it (", status_name(status), ")"));
  }
  for (size_t i = 0; i < stored.size(); ++i) stored[i] = orient(stored[i], orientation[i]);
  return stored;
}

}  // namespace softvit
