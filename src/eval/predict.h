// Predictions for unlabelled images (softvit predict): each image's class probabilities, and the
// CSV people act on: one row per image with its identifier, the predicted class, every class's
// probability and the top k, under comment lines ("# ...") that say which checkpoint, model and
// decision rule produced them.
#pragma once
#include <torch/torch.h>

#include <functional>
#include <string>
#include <vector>

#include "data/batch.h"
#include "eval/score_matrix.h"
#include "eval/test_time_augmentation.h"
#include "models/model.h"

namespace softvit {

struct PredictionTable {
  std::vector<std::string> names;  // each image's identifier (Batch::names)
  ScoreMatrix probabilities;       // images x classes: softmax, or per-label sigmoid when multi_label
};

// Runs `model` in eval mode over every batch of `loader`, in its order; `progress(images done)`
// after each batch.
PredictionTable predict(Model& model, BatchSource& loader, const torch::Device& device,
                        TestTimeAugmentation tta, bool multi_label,
                        const std::function<void(int64_t)>& progress = {});

// How the predicted class of a row is chosen: the most probable class, or for a binary task with
// a threshold the positive class when its probability is at least the threshold; multi-label: every
// label at or above the threshold, joined by ';'.
struct Decision {
  bool multi_label = false;
  int positive_class = -1;  // >= 0: binary decision at `threshold`
  double threshold = 0.5;
};

// Writes `path`: the `header` lines as "# line" comments, then the columns image, predicted,
// p_<class> for every class, and top1_class, top1_p, ... top<k>_class, top<k>_p.
void write_prediction_csv(const std::string& path, const std::vector<std::string>& header,
                          const PredictionTable& table, const std::vector<std::string>& classes,
                          const Decision& decision, int64_t top_k);

}  // namespace softvit
