#include "data/sources/synthetic_source.h"

#include <cmath>
#include <functional>

#include "core/strings.h"
#include "data/rng.h"
#include "data/sources/source_registry.h"

namespace softvit {

SyntheticSource::SyntheticSource(int64_t samples, int size, int classes, int channels,
                                 const std::string& split)
    : samples_(samples), size_(size), channels_(channels), split_key_(std::hash<std::string>{}(split)) {
  for (int c = 0; c < classes; ++c) classes_.push_back(cat("class", c));
}

RawImage SyntheticSource::load(int64_t i) const {
  Rng rng(Rng::key({split_key_, static_cast<uint64_t>(i)}));
  const double angle =
      3.141592653589793 * static_cast<double>(label(i)) / static_cast<double>(classes_.size());
  const double fx = std::cos(angle) * 0.6, fy = std::sin(angle) * 0.6, phase = rng.uniform(0, 6.283);
  RawImage raw;
  raw.name = cat("synthetic[", i, "]");
  raw.pixels.create(size_, size_, CV_8UC(channels_));
  for (int y = 0; y < size_; ++y) {
    auto* row = raw.pixels.ptr<uint8_t>(y);
    for (int x = 0; x < size_; ++x) {
      const double stripe = 127.5 + 90.0 * std::sin(fx * x + fy * y + phase);
      for (int c = 0; c < channels_; ++c) {
        const double v = stripe * (1.0 - 0.15 * c) + 20.0 * rng.normal();
        row[x * channels_ + c] = static_cast<uint8_t>(std::clamp(v, 0.0, 255.0));
      }
    }
  }
  return raw;
}

SourceKind synthetic_source_kind() {
  SourceKind kind;
  kind.name = "synthetic";
  kind.open = [](const DataSection& data, const std::string& split, int64_t limit) -> SourcePtr {
    const int64_t n = limit > 0 ? std::min<int64_t>(limit, data.synthetic_samples) : data.synthetic_samples;
    return std::make_shared<SyntheticSource>(n, data.synthetic_size, data.synthetic_classes,
                                             data.channels == 0 ? 3 : data.channels, split);
  };
  kind.has_split = [](const DataSection&, const std::string&) { return true; };  // any split, generated
  return kind;
}

}  // namespace softvit
