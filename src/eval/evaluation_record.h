// What an evaluation scored and how, written beside its metrics so that every figure can be traced
// to the images it came from: the split and the number of images scored, the samples left out as
// unreadable (never replaced), the resolution, transforms and normalisation the model saw against
// those of its training, test-time augmentation, the weights, and the split that chose the
// checkpoint. Differences from training that change what is evaluated become warnings.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "data/sources/source.h"

namespace softvit {

struct EvaluationRecord {
  std::string split;
  int64_t n = 0;                     // images scored
  int64_t limit = 0;                 // data.limit_eval given on eval's command line; 0: the whole split
  std::vector<DataProblem> dropped;  // left out: unreadable images, bad rows and labels (on_error skip)
  std::string on_error;              // data.on_error
  std::vector<std::pair<int64_t, int64_t>> input_sizes;  // H x W fed to the model
  int64_t model_input_size = 0;                          // the model's declared img_size
  std::vector<int64_t> training_input_size;  // C, H, W of the training batches; empty: not recorded
  std::vector<std::string> transforms, training_transforms;  // data.eval_transforms now / in the run
  std::vector<double> mean, std, training_mean, training_std;
  std::string tta = "none", weights = "model";
  // How the checkpoint was chosen (from its run's config).
  std::string validation;  // describe_validation() of the run
  bool validated_on_test = false;
  bool chosen_on_this_split = false;  // selected on the very split evaluated here (not last.pt)
  std::string best_metric;
  int64_t best_epoch = 0, epochs = 0;
};

// The warnings a reader of the figures must see: samples left out, a partial split, resolution,
// normalisation or transforms unlike training, a checkpoint chosen on the split evaluated.
std::vector<std::string> record_warnings(const EvaluationRecord& record);

// The record as JSON: split, n, limit, dropped {count, samples [{name, reason}]}, resolution,
// transforms, normalisation, tta, weights, checkpoint_selection.
nlohmann::json to_json(const EvaluationRecord& record);

}  // namespace softvit
