// Generated images for tests and benchmarks: sample i of class i % K shows stripes whose angle
// depends on the class, with a phase and noise drawn from (split, i). The same index always
// gives the same image, and nothing is stored.
#pragma once
#include "data/sources/source.h"

namespace softvit {

class SyntheticSource : public Source {
 public:
  SyntheticSource(int64_t samples, int size, int classes, int channels, const std::string& split);

  int64_t size() const override { return samples_; }
  const std::vector<std::string>& classes() const override { return classes_; }
  int64_t label(int64_t i) const override { return i % static_cast<int64_t>(classes_.size()); }
  int native_channels() const override { return channels_; }
  RawImage load(int64_t i) const override;

 private:
  int64_t samples_;
  int size_, channels_;
  uint64_t split_key_;
  std::vector<std::string> classes_;
};

}  // namespace softvit
