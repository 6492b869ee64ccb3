// The learning-rate range test (Smith 2015; fastai's lr_find): a few hundred training steps with a
// learning rate rising exponentially from `start_lr` to `end_lr`, on the run's own model, data,
// augmentation, precision and optimizer, recording the loss at each. The loss falls while the
// rate is useful and climbs once it is too high; a good rate sits in the steepest part of the fall.
// Nothing of the run folder is touched: the model is thrown away, and the results (lr_find.csv,
// lr_find.png) go to their own folder.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace softvit {

struct RunConfig;  // core/config.h

struct LrFindOptions {
  int64_t steps = 200;
  double start_lr = 1e-7, end_lr = 1.0;
  double smoothing = 0.98;      // of the exponential moving average of the loss (debiased)
  double diverge_factor = 4.0;  // stop once the smoothed loss exceeds this times its minimum
  std::string output_dir;       // lr_find.csv and lr_find.png
};

struct LrFindResult {
  std::vector<double> lrs, losses, smoothed;  // one per step taken
  bool diverged = false;                      // stopped early by diverge_factor
  double valley_lr = 0;                       // fastai's default suggestion (lr_valley)
  double steepest_lr = 0;                     // where the smoothed loss falls fastest per log(lr)
  double minimum_lr = 0;                      // where the smoothed loss is lowest (use a tenth of it)
  double lr_scale = 1;  // effective lr / optim.lr (optim.lr_base_batch scaling): divide to get optim.lr
  std::string csv, png;
};

// The learning rate of step i of n: start * (end / start)^(i / (n - 1)).
double lr_find_rate(const LrFindOptions& options, int64_t step);

// fastai's valley: within the longest run of points whose losses keep falling (a longest decreasing
// subsequence, so noise does not break it), the point half-way through its middle third: start + a
// third of its length + a sixth of it. An index into `losses`; 0 for fewer than two points.
size_t valley_index(const std::vector<double>& losses);

// Runs the range test for `config` on one process (its run.device, train split, batch size,
// precision and optimizer; no EMA, no schedule). Writes options.output_dir/lr_find.{csv,png}.
LrFindResult find_learning_rate(const RunConfig& config, const LrFindOptions& options);

}  // namespace softvit
