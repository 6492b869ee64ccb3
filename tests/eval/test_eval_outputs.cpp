// The files of softvit eval: names, the per-image CSV and the figures beside the JSON.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "catch.h"
#include "core/strings.h"
#include "eval/eval_outputs.h"
#include "test_util.h"

using namespace softvit;
namespace fs = std::filesystem;

TEST_CASE("eval outputs: file names from an output file or an output folder", "[eval]") {
  const EvalOutputPaths f = eval_output_paths("out/m.json", "");
  CHECK(f.json == "out/m.json");
  CHECK(f.predictions == "out/m_predictions.csv");
  CHECK(f.confusion_png == "out/m_confusion_matrix.png");
  CHECK(f.roc_png == "out/m_roc_curves.png");
  const EvalOutputPaths d = eval_output_paths("", "res");
  CHECK(d.json == "res/metrics.json");
  CHECK(d.predictions == "res/predictions.csv");
  CHECK_THROWS(eval_output_paths("", ""));
  CHECK_THROWS(eval_output_paths("a.json", "b"));
}

TEST_CASE("eval outputs: metrics JSON with predictions CSV and PNGs beside it", "[eval]") {
  auto logits =
      torch::tensor({{2.0, 0.0, 0.0}, {0.0, 1.0, 0.0}, {0.0, 0.0, 3.0}, {1.0, 0.0, 0.5}, {0.0, 2.0, 1.0}});
  EvalAccumulator acc(3);
  acc.add(logits.slice(0, 0, 3), torch::tensor({0, 1, 2}, torch::kInt64),
          {"x/0.png", "x/1,b.png", "x/2.png"});
  acc.add(logits.slice(0, 3), torch::tensor({2, 1}, torch::kInt64), {"x/3.png", "x/4.png"});
  EvalOptions options;
  options.full_metrics = true;
  options.metrics.bootstrap = 20;
  const EvalResult r = acc.result(options);
  const std::vector<std::string> names = {"a", "b,c", "d"};

  TempDir dir;
  const EvalOutputPaths paths = eval_output_paths(dir.path("sub/m.json"), "");
  write_eval_outputs(paths, to_json(*r.metrics), r, names);
  for (const auto& p : {paths.json, paths.predictions, paths.confusion_png, paths.roc_png})
    CHECK(fs::file_size(p) > 100);

  std::ifstream csv(paths.predictions);
  std::string line;
  std::getline(csv, line);
  CHECK(line == "index,image,label,predicted,p_a,\"p_b,c\",p_d");
  std::getline(csv, line);  // sample 0: label 0, predicted 0
  auto fields = split(line, ',');
  REQUIRE(fields.size() == 7);
  CHECK(fields[0] == "0");
  CHECK(fields[1] == "x/0.png");  // each row names its image
  CHECK(fields[2] == "0");
  CHECK(fields[3] == "0");
  const auto expected = torch::softmax(logits[0], 0);
  for (int c = 0; c < 3; ++c)
    CHECK(std::stod(fields[4 + c]) == Approx(expected[c].item<double>()).epsilon(1e-5));
  int rows = 1;
  while (std::getline(csv, line)) {
    ++rows;
    if (rows == 2) CHECK(line.rfind("1,\"x/1,b.png\",1,", 0) == 0);  // quoted: the name holds a comma
    if (rows == 4) CHECK(line.rfind("3,x/3.png,2,0,", 0) == 0);      // sample 3: label 2, predicted 0
  }
  CHECK(rows == 5);

  std::ifstream in(paths.json);
  const auto j = nlohmann::json::parse(in);
  CHECK(j["files"]["predictions"] == paths.predictions);
  CHECK(j["files"]["confusion_matrix"] == paths.confusion_png);
  CHECK(j["files"]["roc_curves"] == paths.roc_png);
  CHECK(j["n"] == 5);
}

TEST_CASE("eval outputs: multi-label predictions list the targets and skip the confusion matrix", "[eval]") {
  EvalAccumulator acc(2);
  acc.add(torch::tensor({{2.0, -1.0}, {-0.5, 0.5}, {0.0, 3.0}}), torch::tensor({{1, 0}, {0, 0}, {1, 1}}));
  EvalOptions options;
  options.full_metrics = true;
  options.metrics.bootstrap = 0;
  const EvalResult r = acc.result(options);
  TempDir dir;
  const EvalOutputPaths paths = eval_output_paths("", dir.path("out"));
  write_eval_outputs(paths, to_json(*r.metrics), r, {"effusion", "nodule"});
  std::ifstream csv(paths.predictions);
  std::string header, first;
  std::getline(csv, header);
  std::getline(csv, first);
  CHECK(header == "index,image,y_effusion,y_nodule,p_effusion,p_nodule");
  CHECK(first.rfind("0,,1,0,", 0) == 0);  // no identifiers given: an empty image field
  CHECK(std::stod(split(first, ',')[4]) == Approx(1 / (1 + std::exp(-2.0))));
  CHECK(fs::exists(paths.roc_png));
  CHECK_FALSE(fs::exists(paths.confusion_png));
  std::ifstream in(paths.json);
  const auto j = nlohmann::json::parse(in);
  CHECK(j["per_label"].size() == 2);
  CHECK_FALSE(j["files"].contains("confusion_matrix"));
}
