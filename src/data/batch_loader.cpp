#include "data/batch_loader.h"

#include <ATen/CPUGeneratorImpl.h>

#include "core/error.h"
#include "core/strings.h"

namespace softvit {

BatchLoader::BatchLoader(const TensorDataset& dataset, LoaderOptions options)
    : dataset_(dataset), options_(std::move(options)), generator_(at::make_generator<at::CPUGeneratorImpl>()) {
  const auto c = dataset.channels();
  auto stats = [c](const std::vector<double>& v, const char* key) {
    if (v.size() != 1 && static_cast<int64_t>(v.size()) != c)
      throw ConfigError(cat("data.", key, " has ", v.size(), " values for ", c, "-channel images"));
    return torch::tensor(v, torch::kFloat32).reshape({1, -1, 1, 1});
  };
  mean_ = stats(options_.mean, "mean");
  std_ = stats(options_.std, "std");
  start_epoch(0);
}

void BatchLoader::start_epoch(int64_t epoch) {
  // A fresh generator per epoch: the order and augmentation of epoch e never depend on how far
  // earlier epochs ran, so a resumed run sees the same batches.
  generator_.set_current_seed(options_.seed * 1000003ULL + static_cast<uint64_t>(epoch));
  order_ = options_.shuffle ? torch::randperm(dataset_.size(), generator_, torch::kInt64)
                            : torch::arange(dataset_.size(), torch::kInt64);
  position_ = 0;
}

int64_t BatchLoader::batches_per_epoch() const {
  const auto n = dataset_.size(), b = options_.batch_size;
  return options_.drop_last ? n / b : (n + b - 1) / b;
}

std::optional<Batch> BatchLoader::next() {
  const auto n = dataset_.size();
  const auto remaining = n - position_;
  if (remaining <= 0 || (options_.drop_last && remaining < options_.batch_size)) return std::nullopt;
  const auto count = std::min(remaining, options_.batch_size);
  auto index = order_.slice(0, position_, position_ + count);
  position_ += count;
  auto pixels = dataset_.images.index_select(0, index);
  if (options_.pad_crop > 0 || options_.hflip > 0) pixels = augment(pixels, generator_);
  auto images = (pixels.to(torch::kFloat32).div_(255.0) - mean_) / std_;
  return Batch{images, dataset_.labels.index_select(0, index), torch::Tensor()};
}

torch::Tensor BatchLoader::augment(torch::Tensor images, torch::Generator& generator) const {
  const auto b = images.size(0), h = images.size(2), w = images.size(3);
  if (options_.pad_crop > 0) {
    const auto p = options_.pad_crop;
    auto padded = torch::constant_pad_nd(images, {p, p, p, p}, 0);
    auto offsets = torch::randint(0, 2 * p + 1, {b, 2}, generator, torch::kInt64);
    auto out = torch::empty_like(images);
    auto acc = offsets.accessor<int64_t, 2>();
    for (int64_t i = 0; i < b; ++i)
      out[i].copy_(padded[i].slice(1, acc[i][0], acc[i][0] + h).slice(2, acc[i][1], acc[i][1] + w));
    images = out;
  }
  if (options_.hflip > 0) {
    auto flip = torch::rand({b}, generator) < options_.hflip;
    images = torch::where(flip.view({b, 1, 1, 1}), images.flip({3}), images);
  }
  return images;
}

}  // namespace softvit
