#include "train/lr_finder.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <opencv2/imgcodecs.hpp>

#include "core/config.h"
#include "core/error.h"
#include "core/strings.h"
#include "data/loader.h"
#include "eval/line_chart.h"
#include "log/log.h"
#include "models/channels_last.h"
#include "models/registry.h"
#include "models/weights.h"
#include "train/device.h"
#include "train/graphed_step.h"
#include "train/optimizer.h"

namespace softvit {
namespace fs = std::filesystem;

double lr_find_rate(const LrFindOptions& o, int64_t step) {
  if (o.steps < 2) return o.start_lr;
  const double t = static_cast<double>(step) / static_cast<double>(o.steps - 1);
  return o.start_lr * std::pow(o.end_lr / o.start_lr, t);
}

size_t valley_index(const std::vector<double>& losses) {
  const size_t n = losses.size();
  if (n < 2) return 0;
  // lds[i]: length of the longest decreasing subsequence ending at i (fastai's valley, O(n^2)).
  std::vector<size_t> lds(n, 1);
  size_t max_start = 0, max_end = 0;
  for (size_t i = 1; i < n; ++i) {
    for (size_t j = 0; j < i; ++j)
      if (losses[i] < losses[j] && lds[i] < lds[j] + 1) lds[i] = lds[j] + 1;
    if (lds[max_end] < lds[i]) {
      max_end = i;
      max_start = max_end - lds[max_end];
    }
  }
  const double sections = static_cast<double>(max_end - max_start) / 3.0;
  return std::min(n - 1, max_start + static_cast<size_t>(sections) + static_cast<size_t>(sections / 2));
}

namespace {

void validate(const LrFindOptions& o) {
  if (o.steps < 2) throw ConfigError("--lr-find-steps must be at least 2");
  if (!(o.start_lr > 0) || !(o.end_lr > o.start_lr))
    throw ConfigError(cat("--lr-find-range ", o.start_lr, ":", o.end_lr, " must rise from a positive rate"));
  if (o.output_dir.empty()) throw ConfigError("the learning-rate finder needs an output folder");
}

// Where the smoothed loss falls fastest against log10(lr), before the minimum.
size_t steepest_index(const std::vector<double>& lrs, const std::vector<double>& smoothed, size_t end) {
  size_t best = 0;
  double best_slope = 0;
  for (size_t i = 1; i < end; ++i) {
    const double slope = (smoothed[i] - smoothed[i - 1]) / (std::log10(lrs[i]) - std::log10(lrs[i - 1]));
    if (slope < best_slope) best_slope = slope, best = i;
  }
  return best;
}

void write_outputs(LrFindResult& r, const LrFindOptions& o, const std::string& title) {
  fs::create_directories(o.output_dir);
  r.csv = (fs::path(o.output_dir) / "lr_find.csv").string();
  r.png = (fs::path(o.output_dir) / "lr_find.png").string();
  std::ofstream csv(r.csv);
  csv << "step,lr,loss,smoothed_loss\n";
  for (size_t i = 0; i < r.lrs.size(); ++i)
    csv << i << ',' << r.lrs[i] << ',' << r.losses[i] << ',' << r.smoothed[i] << '\n';
  if (!csv) throw Error(cat("cannot write ", r.csv));

  std::vector<double> x(r.lrs.size());
  std::transform(r.lrs.begin(), r.lrs.end(), x.begin(), [](double lr) { return std::log10(lr); });
  std::vector<plot::Series> series;
  series.push_back({"loss", x, r.losses, cv::Scalar(200, 200, 200), false, 1, false});
  series.push_back({"smoothed loss", x, r.smoothed, std::nullopt, false, 2, false});
  // y from the lowest loss up to where the smoothed curve diverged; a vertical mark at the suggestion.
  const double smoothed_low = *std::min_element(r.smoothed.begin(), r.smoothed.end());
  const double low = std::min(smoothed_low, *std::min_element(r.losses.begin(), r.losses.end()));
  const double high =
      std::min(*std::max_element(r.smoothed.begin(), r.smoothed.end()), o.diverge_factor * smoothed_low);
  const double mark = std::log10(r.valley_lr);
  series.push_back({cat("suggested (valley) ", fixed(r.valley_lr, 6)),
                    {mark, mark},
                    {low, high},
                    std::nullopt,
                    true,
                    2,
                    false});
  plot::ChartOptions chart;
  chart.title = title;
  chart.x_label = "log10 learning rate";
  chart.y_label = "training loss";
  chart.y_min = low - 0.05 * (high - low);
  chart.y_max = high;
  chart.legend = plot::Corner::top_left;
  if (!cv::imwrite(r.png, plot::draw_line_chart(series, chart))) throw Error(cat("cannot write ", r.png));
}

}  // namespace

LrFindResult find_learning_rate(const RunConfig& config, const LrFindOptions& options) {
  validate(options);
  set_threads(config.run.threads);
  torch::manual_seed(static_cast<uint64_t>(config.run.seed));
  const torch::Device device = parse_device(config.run.device);
  const bool bf16 = config.train.precision == "bf16" && device.is_cuda();
  auto loader = make_loader(config, config.data.train_split, /*train=*/true);
  const auto classes = static_cast<int64_t>(loader->classes().size());
  ModelPtr model = build_model(config.model, classes, loader->channels());
  init_model_weights(*model, config.model);
  model->to(device);
  const bool channels_last = config.train.channels_last && device.is_cuda();
  if (channels_last) convert_to_channels_last(*model);
  auto optimizer = make_optimizer(config.optim, *model);

  StepParts parts;
  parts.model = model.get();
  parts.optimizer = optimizer.get();
  parts.loss.kind = config.train.loss;
  parts.loss.label_smoothing = config.train.label_smoothing;
  parts.clip_grad = config.train.clip_grad;
  parts.device = device;
  parts.bf16 = bf16;
  parts.channels_last = channels_last;
  parts.accum_steps = 1;
  auto step = make_train_step(parts, config.train.cuda_graph);

  LrFindResult r;
  const int64_t global_batch = config.train.batch_size;  // one process
  r.lr_scale =
      config.optim.lr_base_batch > 0 ? static_cast<double>(global_batch) / config.optim.lr_base_batch : 1;
  log::info(cat("lr-find: ", model->name(), " on ", config.data.train_split, ", ", options.steps,
                " steps of batch ", config.train.batch_size, ", lr ", options.start_lr, " to ",
                options.end_lr, " (exponential), ", step->kind(), " steps on ", device.str()));
  model->train();
  int64_t epoch = 0;
  loader->start_epoch(epoch);
  double average = 0, best = std::numeric_limits<double>::infinity();
  for (int64_t i = 0; i < options.steps; ++i) {
    auto batch = loader->next();
    if (!batch) {  // a short split: more epochs
      loader->start_epoch(++epoch);
      batch = loader->next();
      if (!batch) throw DataError(cat("split '", config.data.train_split, "' yields no training batch"));
    }
    const double lr = lr_find_rate(options, i);
    const double loss = step->run(*batch, lr).item<double>();
    average = options.smoothing * average + (1 - options.smoothing) * loss;
    const double smoothed = average / (1 - std::pow(options.smoothing, static_cast<double>(i + 1)));
    if (!std::isfinite(loss) || !std::isfinite(smoothed)) {
      r.diverged = true;
      break;
    }
    r.lrs.push_back(lr);
    r.losses.push_back(loss);
    r.smoothed.push_back(smoothed);
    best = std::min(best, smoothed);
    if ((i + 1) % 25 == 0 || i + 1 == options.steps)
      log::info(cat("lr-find: step ", i + 1, "/", options.steps, " lr ", lr, " loss ", fixed(smoothed, 4)));
    if (smoothed > options.diverge_factor * best) {
      r.diverged = true;
      break;
    }
  }
  if (r.lrs.size() < 2)
    throw TrainError(cat("lr-find: the loss was not finite from the first step at lr ", options.start_lr,
                         ": check the data and model before the learning rate"));
  const size_t minimum =
      static_cast<size_t>(std::min_element(r.smoothed.begin(), r.smoothed.end()) - r.smoothed.begin());
  r.minimum_lr = r.lrs[minimum];
  r.steepest_lr = r.lrs[steepest_index(r.lrs, r.smoothed, minimum + 1)];
  r.valley_lr = r.lrs[valley_index(r.smoothed)];
  write_outputs(r, options, cat("lr-find: ", model->name(), ", batch ", config.train.batch_size));
  return r;
}

}  // namespace softvit
