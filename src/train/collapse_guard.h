// Notices a run that has collapsed to chance: the training loss back at ln C (the loss of a model
// that predicts every class equally, whatever the label smoothing or mixing) for a whole epoch
// after it had been clearly lower, or the validation top-1 back at chance (the share of the most
// frequent class) after it had been clearly above it. Both are what a too-high learning rate does
// to a transformer; the message names that cause and `softvit train --lr-find`.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

namespace softvit {

struct EpochOutcome {
  int64_t epoch = 0;  // 1-based
  // The epoch's mean training loss, and the highest and lowest mean loss of its logged windows (a
  // "whole epoch at chance" needs every window there, not only the mean).
  double train_loss = 0, window_loss_max = 0, window_loss_min = 0;
  std::optional<double> val_top1;  // single-label validation only
  double val_chance = 0;           // top-1 of always predicting the split's most frequent class
};

class CollapseGuard {
 public:
  explicit CollapseGuard(int64_t classes);
  // Empty while training looks sound; otherwise a one-line description of the collapse. Each kind
  // of collapse is reported once per run.
  std::optional<std::string> observe(const EpochOutcome& outcome);
  // An epoch from before a resume (summary.csv): sets what the run had reached, reports nothing.
  void remember(double train_loss, std::optional<double> val_top1);

  double chance_loss() const { return chance_loss_; }

 private:
  double chance_loss_;  // ln C
  double best_train_loss_ = 1e300;
  double best_val_top1_ = -1;
  bool loss_reported_ = false, val_reported_ = false;
};

}  // namespace softvit
