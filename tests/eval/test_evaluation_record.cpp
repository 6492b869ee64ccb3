// The record beside an evaluation's metrics: what was scored, and warnings for every way it
// differs from what the model was trained and selected on.
#include "catch.h"
#include "eval/evaluation_record.h"

using namespace softvit;

namespace {

bool mentions(const std::vector<std::string>& warnings, const std::string& text) {
  for (const auto& w : warnings)
    if (w.find(text) != std::string::npos) return true;
  return false;
}

EvaluationRecord as_trained() {
  EvaluationRecord r;
  r.split = "test";
  r.n = 150;
  r.on_error = "skip";
  r.input_sizes = {{28, 28}};
  r.model_input_size = 28;
  r.training_input_size = {1, 28, 28};
  r.mean = r.training_mean = {0.5};
  r.std = r.training_std = {0.5};
  r.validation = "split 'val'";
  r.best_metric = "val_top1";
  return r;
}

}  // namespace

TEST_CASE("evaluation record: nothing to warn about when evaluation matches training", "[eval]") {
  const EvaluationRecord r = as_trained();
  CHECK(record_warnings(r).empty());
  const auto j = to_json(r);
  CHECK(j["n"] == 150);
  CHECK(j["dropped"]["count"] == 0);
  CHECK(j["resolution"]["training"] == nlohmann::json({1, 28, 28}));
  CHECK(j["resolution"]["differs_from_training"] == false);
  CHECK(j["normalisation"]["differs_from_training"] == false);
  CHECK(j["checkpoint_selection"]["validation"] == "split 'val'");
}

TEST_CASE("evaluation record: left-out samples, resolution, normalisation and selection are warned about",
          "[eval]") {
  EvaluationRecord r = as_trained();
  r.dropped = {{"test/a/broken.png", "cannot decode"}};
  r.input_sizes = {{56, 56}};
  r.std = {0.25};
  r.transforms = {"resize(size=56x56)"};
  r.limit = 500;
  r.chosen_on_this_split = true;
  r.validated_on_test = true;
  const auto w = record_warnings(r);
  CHECK(mentions(w, "1 sample(s) of split 'test' could not be read and were left out"));
  CHECK(mentions(w, "test/a/broken.png"));
  CHECK(mentions(w, "56x56 inputs here but 28x28 in training"));
  CHECK(mentions(w, "normalisation"));
  CHECK(mentions(w, "resize(size=56x56)"));
  CHECK(mentions(w, "only the first 500"));
  CHECK(mentions(w, "optimistic"));
  const auto j = to_json(r);
  CHECK(j["dropped"]["count"] == 1);
  CHECK(j["dropped"]["samples"][0]["name"] == "test/a/broken.png");
  CHECK(j["dropped"]["samples"][0]["reason"] == "cannot decode");
  CHECK(j["resolution"]["differs_from_training"] == true);
  CHECK(j["normalisation"]["differs_from_training"] == true);
  CHECK(j["checkpoint_selection"]["on_test_split"] == true);

  // A checkpoint that does not record its training resolution: compared with the model's own size.
  r = as_trained();
  r.training_input_size = {};
  r.input_sizes = {{56, 56}};
  CHECK(mentions(record_warnings(r), "28x28 in its declaration"));
}
