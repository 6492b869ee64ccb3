#include "train/collapse_guard.h"

#include <algorithm>
#include <cmath>

#include "core/strings.h"

namespace softvit {
namespace {

// A loss within 2 % of ln C is "at chance"; "clearly lower" is below 90 % of it. Accuracy: within
// one point of chance, after having been at least five points above it.
constexpr double kAtChanceLoss = 0.98, kLearnedLoss = 0.90;
constexpr double kAtChanceTop1 = 0.01, kLearnedTop1 = 0.05;

}  // namespace

CollapseGuard::CollapseGuard(int64_t classes) : chance_loss_(std::log(static_cast<double>(classes))) {}

void CollapseGuard::remember(double train_loss, std::optional<double> val_top1) {
  best_train_loss_ = std::min(best_train_loss_, train_loss);
  if (val_top1) best_val_top1_ = std::max(best_val_top1_, *val_top1);
}

std::optional<std::string> CollapseGuard::observe(const EpochOutcome& o) {
  std::string what;
  const bool loss_at_chance = o.window_loss_min >= kAtChanceLoss * chance_loss_ &&
                              o.window_loss_max <= (2 - kAtChanceLoss) * chance_loss_;
  if (!loss_reported_ && loss_at_chance && best_train_loss_ < kLearnedLoss * chance_loss_) {
    loss_reported_ = true;
    what = cat("the training loss sat at chance (ln ", std::llround(std::exp(chance_loss_)), " = ",
               fixed(chance_loss_, 3), ") for the whole of epoch ", o.epoch, " after reaching ",
               fixed(best_train_loss_, 3));
  }
  best_train_loss_ = std::min(best_train_loss_, o.train_loss);

  if (o.val_top1) {
    const double top1 = *o.val_top1;
    if (!val_reported_ && top1 <= o.val_chance + kAtChanceTop1 &&
        best_val_top1_ >= o.val_chance + kLearnedTop1) {
      val_reported_ = true;
      what += cat(what.empty() ? "" : "; ", "validation top-1 fell to chance (", fixed(100 * top1, 2),
                  "%, the most frequent class is ", fixed(100 * o.val_chance, 2), "%) in epoch ", o.epoch,
                  " after reaching ", fixed(100 * best_val_top1_, 2), "%");
    }
    best_val_top1_ = std::max(best_val_top1_, top1);
  }
  if (what.empty()) return std::nullopt;
  return cat("training has collapsed: ", what,
             ". The likely cause is a learning rate too high for this model and batch (or too short a "
             "warm-up): lower optim.lr, or run softvit train --lr-find with this config to choose one");
}

}  // namespace softvit
