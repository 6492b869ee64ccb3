// Which evaluated images softvit eval --explain N explains. Per true class c, three groups of up to
// N images each, chosen in this order so that no image is shown twice:
//   correct:   label c, predicted c, the highest p(c) first (the model's clearest successes);
//   wrong:     label c, predicted another class, the highest p(predicted) first (confident errors);
//   uncertain: label c, the smallest margin between the two largest probabilities first (the
//              images nearest the decision), among those not chosen above.
// So at most 3 x N x classes images. Predicted means the most probable class (argmax), as top-1 and
// the predictions CSV count it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "eval/score_matrix.h"

namespace softvit {

struct ExplainChoice {
  int64_t row = 0;        // the image's row in the evaluation's results
  std::string group;      // correct | wrong | uncertain
  int64_t label = 0;      // true class
  int64_t predicted = 0;  // argmax class
};

// In the order: class 0's correct, wrong, uncertain; class 1's; ...
std::vector<ExplainChoice> choose_images_to_explain(const ScoreMatrix& probabilities,
                                                    const std::vector<int64_t>& labels, int64_t per_group);

}  // namespace softvit
