// Which data validates a training run, and so chooses best.pt (checkpoint.best_metric):
//   data.val_fraction > 0   a seeded, stratified hold-out of the training split (the split "holdout");
//   data.val_split named    that split; the test split only when named so, and then the log and
//                           every metrics record say so;
//   neither                 the split "val" when the data has one, else a ConfigError that asks for
//                           one of the two: a run never validates on its test split by default.
#pragma once
#include <string>

#include "core/config/data_section.h"

namespace softvit {

// `data` with val_split resolved as above (val_split "holdout" for a hold-out).
DataSection resolve_validation(const DataSection& data);

// In words, for the log and the metrics: "split 'val'", "10% of 'train' held out (stratified,
// seed 0)", "the TEST split 'test'".
std::string describe_validation(const DataSection& resolved);

// The resolved validation split is the test split: best.pt is chosen on the data its test figures
// come from.
bool validates_on_test(const DataSection& resolved);

}  // namespace softvit
