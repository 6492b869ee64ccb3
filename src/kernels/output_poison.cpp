#include "kernels/output_poison.h"

#include <atomic>
#include <limits>

namespace softvit::kernels {
namespace {
std::atomic<bool> poison{false};
}

void set_poison_outputs(bool on) { poison = on; }
bool poison_outputs() { return poison; }

const at::Tensor& maybe_poison(const at::Tensor& t) {
  if (poison) t.fill_(std::numeric_limits<double>::quiet_NaN());
  return t;
}

}  // namespace softvit::kernels
