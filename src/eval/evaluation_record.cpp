#include "eval/evaluation_record.h"

#include "core/strings.h"

namespace softvit {
namespace {

std::string size_text(const std::pair<int64_t, int64_t>& hw) { return cat(hw.first, "x", hw.second); }

std::string numbers(const std::vector<double>& values) {
  std::vector<std::string> parts;
  for (double v : values) parts.push_back(cat(v));
  return "[" + join(parts, ", ") + "]";
}

// The resolution evaluation is compared with: the training batches', else the model's declared one.
std::pair<int64_t, int64_t> training_size(const EvaluationRecord& r) {
  if (r.training_input_size.size() == 3) return {r.training_input_size[1], r.training_input_size[2]};
  return {r.model_input_size, r.model_input_size};
}

}  // namespace

std::vector<std::string> record_warnings(const EvaluationRecord& r) {
  std::vector<std::string> w;
  if (!r.dropped.empty()) {
    std::vector<std::string> names;
    for (size_t i = 0; i < r.dropped.size() && i < 5; ++i) names.push_back(r.dropped[i].file);
    w.push_back(cat(r.dropped.size(), " sample(s) of split '", r.split,
                    "' could not be read and were left out, not scored (data.on_error: ", r.on_error,
                    "): ", join(names, ", "), r.dropped.size() > 5 ? ", ..." : "", "; n counts the ", r.n,
                    " images scored; 'dropped' lists them all"));
  }
  if (r.limit > 0)
    w.push_back(cat("only the first ", r.limit, " samples of split '", r.split,
                    "' were evaluated (data.limit_eval on the command line)"));
  const auto trained = training_size(r);
  for (const auto& size : r.input_sizes)
    if (trained.first > 0 && size != trained)
      w.push_back(cat("the model saw ", size_text(size), " inputs here but ", size_text(trained), " in ",
                      r.training_input_size.empty() ? "its declaration (model.img_size)" : "training",
                      ": data.eval_transforms or the images differ"));
  if (r.mean != r.training_mean || r.std != r.training_std)
    w.push_back(cat("normalisation mean ", numbers(r.mean), " std ", numbers(r.std),
                    " differs from training's (mean ", numbers(r.training_mean), " std ",
                    numbers(r.training_std), ")"));
  if (r.transforms != r.training_transforms)
    w.push_back(cat("data.eval_transforms [", join(r.transforms, ", "), "] differ from the run's [",
                    join(r.training_transforms, ", "), "]"));
  if (r.chosen_on_this_split)
    w.push_back(cat("this checkpoint was chosen (", r.best_metric, ") on ", r.validation,
                    ", the split evaluated here: these figures are optimistic"));
  return w;
}

nlohmann::json to_json(const EvaluationRecord& r) {
  nlohmann::json dropped = nlohmann::json::array();
  for (const auto& p : r.dropped) dropped.push_back({{"name", p.file}, {"reason", p.reason}});
  nlohmann::json sizes = nlohmann::json::array();
  for (const auto& s : r.input_sizes) sizes.push_back({s.first, s.second});
  const auto trained = training_size(r);
  bool resolution_differs = false;
  for (const auto& s : r.input_sizes) resolution_differs |= trained.first > 0 && s != trained;
  return {{"split", r.split},
          {"n", r.n},
          {"limit_eval", r.limit},
          {"dropped", {{"count", r.dropped.size()}, {"on_error", r.on_error}, {"samples", dropped}}},
          {"resolution",
           {{"input", sizes},
            {"model_input_size", r.model_input_size},
            {"training",
             r.training_input_size.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.training_input_size)},
            {"differs_from_training", resolution_differs}}},
          {"transforms", r.transforms},
          {"normalisation",
           {{"mean", r.mean},
            {"std", r.std},
            {"training_mean", r.training_mean},
            {"training_std", r.training_std},
            {"differs_from_training", r.mean != r.training_mean || r.std != r.training_std}}},
          {"tta", r.tta},
          {"weights", r.weights},
          {"checkpoint_selection",
           {{"validation", r.validation},
            {"on_test_split", r.validated_on_test},
            {"on_split_evaluated", r.chosen_on_this_split},
            {"metric", r.best_metric},
            {"best_epoch", r.best_epoch},
            {"epochs", r.epochs}}}};
}

}  // namespace softvit
