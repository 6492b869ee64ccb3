// The build without nvJPEG (cmake/Nvjpeg.cmake): data.decode gpu and softvit check decode say so.
#include "core/error.h"
#include "data/gpu_decode/nvjpeg_decoder.h"

namespace softvit {

struct NvjpegDecoder::State {};

bool nvjpeg_compiled() { return false; }

NvjpegDecoder::NvjpegDecoder(bool) {
  throw ConfigError(
      "JPEG decoding on the GPU: this softvit was built without nvJPEG (the CUDA toolkit's nvjpeg.h and "
      "libnvjpeg were not found at configure time; see cmake/Nvjpeg.cmake)");
}
NvjpegDecoder::~NvjpegDecoder() = default;
std::vector<torch::Tensor> NvjpegDecoder::decode(const std::vector<EncodedJpeg>&) { return {}; }
std::string NvjpegDecoder::backends() const { return "none"; }
int64_t NvjpegDecoder::last_hardware_count() const { return 0; }

}  // namespace softvit
