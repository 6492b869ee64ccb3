#include "models/channels_last.h"

namespace softvit {
namespace {

constexpr auto kChannelsLast = torch::MemoryFormat::ChannelsLast;

bool convert(torch::Tensor& t) {
  if (!t.defined() || t.dim() != 4 || t.is_contiguous(kChannelsLast)) return false;
  t.set_data(t.data().contiguous(kChannelsLast));
  return true;
}

}  // namespace

int64_t convert_to_channels_last(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  int64_t converted = 0;
  for (auto& p : module.parameters()) {
    if (!convert(p)) continue;
    ++converted;
    if (p.grad().defined()) p.mutable_grad() = p.grad().contiguous(kChannelsLast);
  }
  for (auto& b : module.buffers()) converted += convert(b) ? 1 : 0;
  return converted;
}

torch::Tensor channels_last_input(const torch::Tensor& images) {
  return images.dim() == 4 ? images.contiguous(kChannelsLast) : images;
}

}  // namespace softvit
