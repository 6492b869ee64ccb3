// Test-time augmentation: a prediction averaged over views of each image, views the model saw in
// training (the mirror image, for models trained with random horizontal flips). Whether it helps
// depends on the data: on BreastMNIST it raised top-1 but lowered AUROC in 11 of 15 seeds
// (docs/results/breastmnist_fresh_seeds.md), so it is an option, off by default.
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

#include "models/model.h"

namespace softvit {

enum class TestTimeAugmentation {
  none,   // the image as it is
  hflip,  // the image and its mirror image (width flipped)
};

// "none" | "hflip"; anything else throws, naming the value.
TestTimeAugmentation parse_test_time_augmentation(const std::string& name);

// The logits whose softmax (multi-label: whose per-label sigmoid) is the mean of the views'
// probabilities. Each element of `view_logits` is B x classes; computed in log space, so extreme
// logits stay finite.
torch::Tensor mean_of_views(const std::vector<torch::Tensor>& view_logits, bool multi_label);

// model(images) for `none`; otherwise mean_of_views over the augmentation's views, in float32.
torch::Tensor predict_logits(Model& model, const torch::Tensor& images, TestTimeAugmentation tta,
                             bool multi_label);

}  // namespace softvit
