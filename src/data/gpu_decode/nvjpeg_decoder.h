// JPEG decoding on the GPU through nvJPEG, the first stage of `data.decode: gpu` (issue 17): a batch
// of encoded JPEGs to RGB pixels in device memory, through the GPU's hardware JPEG decoder where it
// has one (A100, H100: baseline JPEGs with one scan, not 4:1:0 or 4:1:1 subsampling) and nvJPEG's
// CUDA decoder for the rest (progressive JPEGs, other GPUs). The EXIF orientation is applied, as the
// CPU path (data/decode.h) applies it, so both give the same pixels within the decoders' rounding.
// Built only where nvJPEG is found (cmake/Nvjpeg.cmake); elsewhere constructing one is an error.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace softvit {

// True when this build has nvJPEG (SOFTVIT_NVJPEG found it at configure time).
bool nvjpeg_compiled();

// One encoded JPEG: its bytes and the name errors give.
struct EncodedJpeg {
  const std::vector<uint8_t>* bytes = nullptr;
  std::string name;
};

class NvjpegDecoder {
 public:
  // On the current CUDA device. Throws ConfigError when the build has no nvJPEG or there is no
  // CUDA device; prefer_hardware false skips the hardware decoder (for comparisons).
  explicit NvjpegDecoder(bool prefer_hardware = true);
  ~NvjpegDecoder();
  NvjpegDecoder(const NvjpegDecoder&) = delete;
  NvjpegDecoder& operator=(const NvjpegDecoder&) = delete;

  // Each JPEG as an H x W x 3 uint8 RGB tensor on the device (display orientation), queued on the
  // current CUDA stream. Throws DataError naming the file for a corrupt or unsupported JPEG.
  std::vector<torch::Tensor> decode(const std::vector<EncodedJpeg>& jpegs);

  // "hardware + cuda" or "cuda": what this decoder uses.
  std::string backends() const;
  // How many images of the last decode() went to the hardware decoder.
  int64_t last_hardware_count() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace softvit
