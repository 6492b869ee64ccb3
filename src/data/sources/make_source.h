// The source data.source names, for one split.
#pragma once
#include "core/config/data_section.h"
#include "data/sources/source.h"

namespace softvit {

// Keeps `limit` samples when limit > 0. With data.val_fraction > 0 the training split is the part
// not held out and the split "holdout" (kHoldOutSplit) the part held out (holdout_source.h). Throws
// ConfigError for an unknown source and DataError for missing or malformed data (or records the problem under
// data.on_error: skip).
SourcePtr make_source(const DataSection& data, const std::string& split, int64_t limit = 0);

// Whether the data has a split of this name (a folder, the arrays of an .npz, the IDX files, a
// manifest or manifest rows); synthetic data has every split.
bool split_exists(const DataSection& data, const std::string& split);

// The same split labelled in the order of `model_classes` (the training split's, or a checkpoint's),
// whatever classes this split has itself: an evaluation split that lacks a class, or lists them in
// another order, must not shift the labels. A class of the split that is not among them is an error
// naming it; a class absent from the split is allowed.
SourcePtr make_source_for_classes(const DataSection& data, const std::string& split,
                                  const std::vector<std::string>& model_classes, int64_t limit = 0);

// The class order `softvit eval` labels `split` by, for a model whose classes are `model_classes`:
// those, unless they have no names ("0".."n-1": weights imported without names, such as timm's) and
// the data names its classes. Then data.classes gives the order, or else the split's own sorted
// class folders or label names (the order timm reads an ImageNet folder in), which must then number
// n. Labels that are indices already (arrays, folders named 0, 1, ...) keep the model's order.
std::vector<std::string> evaluation_class_order(const DataSection& data, const std::string& split,
                                                const std::vector<std::string>& model_classes);

}  // namespace softvit
