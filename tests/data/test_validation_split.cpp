// Which data chooses best.pt: the split "val" when there is one, a seeded stratified hold-out of
// train when asked (data.val_fraction), the test split only when named; never the test split by
// default. Every shipped config makes that choice explicit.
#include <filesystem>
#include <set>

#include "core/config.h"
#include "core/error.h"
#include "core/strings.h"
#include "data/sources/holdout_source.h"
#include "data/sources/make_source.h"
#include "data/sources/synthetic_source.h"
#include "data/validation_split.h"
#include "data_test_util.h"

using namespace softvit;
using testing::encode_rgb;
using testing::write_bytes;

namespace {

void write_split(const std::string& root, const std::string& split) {
  for (const char* c : {"a", "b"})
    for (int k = 0; k < 3; ++k)
      write_bytes(cat(root, "/", split, "/", c, "/", k, ".png"), encode_rgb(cv::Mat(4, 4, CV_8UC3), ".png"));
}

}  // namespace

TEST_CASE("validation split: val when it exists, else an explicit choice", "[data][validation]") {
  TempDir dir;
  DataSection d = testing::folder_data(dir.path("ds"));
  write_split(d.root, "train");
  write_split(d.root, "test");
  // No val: the default (val_split empty) used to be 'test'; now the run must say what it wants.
  CHECK_THROWS_WITH(resolve_validation(d), Catch::Contains("no split 'val'") &&
                                               Catch::Contains("data.val_fraction") &&
                                               Catch::Contains("data.val_split=test"));
  write_split(d.root, "val");
  const DataSection found = resolve_validation(d);
  CHECK(found.val_split == "val");
  CHECK_FALSE(validates_on_test(found));
  CHECK(describe_validation(found) == "split 'val'");

  d.val_split = "test";  // named: allowed, and flagged
  CHECK(resolve_validation(d).val_split == "test");
  CHECK(validates_on_test(resolve_validation(d)));
  CHECK(describe_validation(resolve_validation(d)).find("TEST") != std::string::npos);

  d.val_fraction = 0.25;  // both: ambiguous
  CHECK_THROWS_WITH(resolve_validation(d), Catch::Contains("not both"));
  d.val_split = "";
  const DataSection held = resolve_validation(d);
  CHECK(held.val_split == kHoldOutSplit);
  CHECK_FALSE(validates_on_test(held));
  CHECK(describe_validation(held) == "25.0% of 'train' held out (stratified by class, data.val_seed 0)");
}

TEST_CASE("validation split: the hold-out is stratified, seeded, and disjoint from training",
          "[data][validation]") {
  const SyntheticSource source(103, 8, 3, 1, "train");  // class i % 3: 35, 34 and 34 samples
  const auto held = stratified_holdout(source, 0.2, 5);
  std::vector<int64_t> per_class(3, 0);
  for (int64_t i : held) ++per_class[static_cast<size_t>(source.label(i))];
  CHECK(per_class == std::vector<int64_t>{7, 7, 7});  // round(0.2 x 35) = 7, round(0.2 x 34) = 7
  CHECK(stratified_holdout(source, 0.2, 5) == held);  // the seed fixes it
  CHECK(stratified_holdout(source, 0.2, 6) != held);

  DataSection d;
  d.source = "synthetic";
  d.synthetic_samples = 103;
  d.synthetic_classes = 3;
  d.val_fraction = 0.2;
  d.val_seed = 5;
  const auto val = make_source(d, kHoldOutSplit), train = make_source(d, "train");
  CHECK(val->size() == 21);
  CHECK(train->size() == 82);
  std::set<std::string> names;
  for (const auto* s : {val.get(), train.get()})
    for (int64_t i = 0; i < s->size(); ++i) names.insert(s->load(i).name);
  CHECK(names.size() == 103);  // disjoint, and together the whole training split
  CHECK(val->load(0).name == source.load(held[0]).name);
  CHECK(make_source(d, "train", 10)->size() == 10);  // limit_train applies to the training part

  // A class with a single sample keeps it for training.
  const SyntheticSource tiny(4, 8, 4, 1, "train");
  CHECK(stratified_holdout(tiny, 0.5, 0).empty());
}

TEST_CASE("validation split: no shipped config validates on the test split silently",
          "[data][validation][config]") {
  std::set<std::string> on_test;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(SOFTVIT_SOURCE_DIR) + "/configs")) {
    if (entry.path().extension() != ".yaml" || entry.path().filename() == "medmnist_base.yaml") continue;
    const RunConfig c = load_config(entry.path().string());
    INFO(entry.path().filename().string());
    CHECK((c.data.val_fraction > 0 || !c.data.val_split.empty()));  // never left to a default
    if (c.data.val_fraction <= 0 && c.data.val_split == c.data.test_split)
      on_test.insert(entry.path().filename().string());
  }
  // ImageNet and Imagenette report on their labelled val split, which also chooses best.pt (they have
  // no labelled test split); their configs say so, and the Imagenette headline is the last epoch.
  CHECK(on_test == std::set<std::string>{"soft_tiny_imagenet.yaml", "imagenette_base.yaml",
                                         "imagenette_soft.yaml", "imagenette_deit.yaml",
                                         "imagenette_sfvit.yaml"});
  const RunConfig quickstart = load_config(std::string(SOFTVIT_SOURCE_DIR) + "/configs/quickstart.yaml");
  CHECK(quickstart.data.val_fraction == 0.1);
  CHECK(resolve_validation(quickstart.data).val_split == kHoldOutSplit);
}
