// The CPU-only build's stand-in for crop_resize.cu (only built with nvcc).
#include "kernels/crop_resize.h"

#include <c10/util/Exception.h>

namespace softvit::kernels {

#if !SOFTVIT_HAS_CUDA_KERNELS
at::Tensor crop_resize_normalise_cuda(const std::vector<at::Tensor>&, const std::vector<CropJob>&, int64_t,
                                      int64_t, const std::array<float, 3>&, const std::array<float, 3>&,
                                      at::ScalarType) {
  TORCH_CHECK(false, "crop_resize_normalise: this build has no CUDA kernels (no nvcc at configure time)");
}
#endif

}  // namespace softvit::kernels
