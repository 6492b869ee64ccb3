#include "data/validation_split.h"

#include "core/error.h"
#include "core/strings.h"
#include "data/sources/holdout_source.h"
#include "data/sources/make_source.h"

namespace softvit {

DataSection resolve_validation(const DataSection& data) {
  DataSection resolved = data;
  if (data.val_fraction > 0) {
    if (!data.val_split.empty() && data.val_split != kHoldOutSplit)
      throw ConfigError(cat("data.val_split is '", data.val_split, "' and data.val_fraction is ",
                            data.val_fraction,
                            ": validate on a split or on a hold-out of the training split, not both"));
    resolved.val_split = kHoldOutSplit;
    return resolved;
  }
  if (data.val_split == kHoldOutSplit)
    throw ConfigError(
        "data.val_split 'holdout' names the data.val_fraction hold-out, but data.val_fraction is 0");
  if (!data.val_split.empty()) return resolved;
  if (split_exists(data, "val")) {
    resolved.val_split = "val";
    return resolved;
  }
  throw ConfigError(cat("data.val_split is not set and ", data.root,
                        " has no split 'val': set data.val_fraction (e.g. 0.1: a seeded, stratified 10% of '",
                        data.train_split,
                        "' held out for validation) or name a split, e.g. data.val_split=", data.test_split,
                        " (then best.pt is chosen on the test split, and the log and "
                        "metrics say so)"));
}

std::string describe_validation(const DataSection& resolved) {
  if (resolved.val_split == kHoldOutSplit && resolved.val_fraction > 0)
    return cat(fixed(100 * resolved.val_fraction, 1), "% of '", resolved.train_split,
               "' held out (stratified by class, data.val_seed ", resolved.val_seed, ")");
  if (validates_on_test(resolved)) return cat("the TEST split '", resolved.val_split, "'");
  return cat("split '", resolved.val_split, "'");
}

bool validates_on_test(const DataSection& resolved) {
  return resolved.val_fraction <= 0 && resolved.val_split == resolved.test_split;
}

}  // namespace softvit
