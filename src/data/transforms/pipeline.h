// A list of per-sample transforms from the config (data.train_transforms / eval_transforms),
// run from the source's raw image to the uint8 pixels of a batch. A trailing
// random_erasing(...) entry is kept apart: it acts on the normalised batch (see loader.h).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "data/sources/source.h"
#include "data/transforms/factories.h"
#include "data/transforms/random_erasing.h"

namespace softvit {

class Pipeline {
 public:
  Pipeline() = default;
  // `key` names the config entry in errors ("data.train_transforms").
  Pipeline(const std::vector<std::string>& specs, const std::string& key, const TransformContext& context);

  // Decodes `raw` (when encoded) and applies every transform. With roi_decode, a JPEG whose
  // first transform is a crop is decoded only inside the crop box. Throws DataError naming the
  // sample when it cannot be decoded.
  cv::Mat run(const RawImage& raw, const DecodeOptions& decode, bool roi_decode, Rng& rng) const;

  const std::optional<ErasingOptions>& erasing() const { return erasing_; }
  size_t size() const { return steps_.size(); }
  const std::vector<TransformPtr>& steps() const { return steps_; }

 private:
  std::vector<TransformPtr> steps_;
  std::optional<ErasingOptions> erasing_;
};

// The names the config accepts, for messages and docs.
std::vector<std::string> transform_names();

}  // namespace softvit
