#include "eval/test_time_augmentation.h"

#include <cmath>

#include "core/error.h"

namespace softvit {

TestTimeAugmentation parse_test_time_augmentation(const std::string& name) {
  if (name == "none") return TestTimeAugmentation::none;
  if (name == "hflip") return TestTimeAugmentation::hflip;
  throw Error("test-time augmentation '" + name + "' is unknown; expected none | hflip");
}

torch::Tensor mean_of_views(const std::vector<torch::Tensor>& view_logits, bool multi_label) {
  if (view_logits.empty()) throw Error("test-time augmentation: no views to average");
  std::vector<torch::Tensor> views;
  for (const auto& v : view_logits) views.push_back(v.to(torch::kFloat32));
  const auto stacked = torch::stack(views);  // V x B x classes
  const double log_views = std::log(static_cast<double>(views.size()));
  if (!multi_label)
    // log of the mean softmax: a softmax of it gives back the mean, since the mean sums to one.
    return torch::logsumexp(torch::log_softmax(stacked, -1), 0) - log_views;
  // logit(p) = log p - log(1 - p), with p and 1 - p each a mean of sigmoids, taken in log space.
  namespace F = torch::nn::functional;
  const auto log_p = torch::logsumexp(F::logsigmoid(stacked), 0) - log_views;
  const auto log_not_p = torch::logsumexp(F::logsigmoid(-stacked), 0) - log_views;
  return log_p - log_not_p;
}

torch::Tensor predict_logits(Model& model, const torch::Tensor& images, TestTimeAugmentation tta,
                             bool multi_label) {
  switch (tta) {
    case TestTimeAugmentation::none:
      return model.forward(images);
    case TestTimeAugmentation::hflip:
      return mean_of_views({model.forward(images), model.forward(images.flip({3}))}, multi_label);
  }
  throw Error("test-time augmentation: unhandled mode");
}

}  // namespace softvit
