// Evaluation splits are labelled in the model's class order. A folder or manifest split that lacks
// a class (or lists its classes in another order) has its own sorted class list; labelling it by
// that list would call each later class by the wrong index, silently. (The CSV case is in
// test_file_sources.cpp, on that file's fixture.)
#include "core/config.h"
#include "core/error.h"
#include "core/strings.h"
#include "data/loader.h"
#include "data/sources/make_source.h"
#include "data_test_util.h"

using namespace softvit;
using testing::encode_rgb;
using testing::write_bytes;

namespace {

void write_image(const std::string& path, int value) {
  write_bytes(path, encode_rgb(cv::Mat(4, 6, CV_8UC3, cv::Scalar(value, 0, 0)), ".png"));
}

// root/train/{cat,dog,emu} and root/val/{cat,emu}: the validation split has no dog.
std::string folder_without_a_class(const TempDir& dir) {
  const std::string root = dir.path("folder");
  for (const char* name : {"cat", "dog", "emu"}) write_image(cat(root, "/train/", name, "/0.png"), 1);
  write_image(root + "/val/cat/0.png", 10);
  write_image(root + "/val/emu/0.png", 30);
  return root;
}

const std::vector<std::string> kModelClasses = {"cat", "dog", "emu"};

}  // namespace

TEST_CASE("split classes: a folder split without a class keeps the model's labels", "[data][sources]") {
  TempDir dir;
  DataSection d = testing::folder_data(folder_without_a_class(dir));
  // The split on its own: emu would be class 1, which the model calls dog.
  CHECK(make_source(d, "val")->classes() == std::vector<std::string>{"cat", "emu"});

  const auto val = make_source_for_classes(d, "val", kModelClasses);
  CHECK(val->classes() == kModelClasses);
  REQUIRE(val->size() == 2);
  CHECK(val->label(0) == 0);
  CHECK(val->label(1) == 2);
  CHECK(val->load(1).name.find("emu") != std::string::npos);
  CHECK(val->problems().empty());  // a class absent from an evaluation split is not a problem

  // A class the model does not know has no label: an error naming its folder, or skipped.
  write_image(d.root + "/val/fox/0.png", 40);
  CHECK_THROWS_WITH(make_source_for_classes(d, "val", kModelClasses),
                    Catch::Contains("fox") && Catch::Contains("not one of the classes given"));
  d.on_error = "skip";
  const auto skipped = make_source_for_classes(d, "val", kModelClasses);
  CHECK(skipped->size() == 2);
  REQUIRE(skipped->problems().size() == 1);
  CHECK(skipped->problems()[0].file.find("fox") != std::string::npos);
}

TEST_CASE("split classes: make_loader labels an evaluation split in the given order", "[data][stream]") {
  TempDir dir;
  RunConfig c;
  c.data = testing::folder_data(folder_without_a_class(dir));
  c.data.workers = 1;
  auto loader = make_loader(c, "val", /*train=*/false, 0, 1, kModelClasses);
  CHECK(loader->classes() == kModelClasses);
  loader->start_epoch(0);
  const auto batch = loader->next();
  REQUIRE(batch);
  CHECK(batch->labels.equal(torch::tensor({0, 2}, torch::kInt64)));
}

TEST_CASE("split classes: a model without class names meets named class folders", "[data][sources]") {
  TempDir dir;
  DataSection d = testing::folder_data(folder_without_a_class(dir));
  const std::vector<std::string> unnamed = {"0", "1", "2"};  // e.g. imported from timm's weights
  // Named model classes always win.
  CHECK(evaluation_class_order(d, "val", kModelClasses) == kModelClasses);
  // The training split's sorted folders give the order, as timm reads an ImageNet folder.
  CHECK(evaluation_class_order(d, "train", unnamed) == kModelClasses);
  // A split that lacks a class cannot say which index each folder is.
  CHECK_THROWS_WITH(evaluation_class_order(d, "val", unnamed),
                    Catch::Contains("have no names") && Catch::Contains("data.classes"));
  // data.classes names them; it must name all three.
  d.classes = {"emu", "dog", "cat"};
  CHECK(evaluation_class_order(d, "val", unnamed) == d.classes);
  d.classes = {"cat", "emu"};
  CHECK_THROWS_WITH(evaluation_class_order(d, "val", unnamed), Catch::Contains("data.classes"));

  // Folders named by index keep the model's order (sorted names would put "10" before "2").
  DataSection numbered = testing::folder_data(dir.path("numbered"));
  std::vector<std::string> eleven;
  for (int c = 0; c < 11; ++c) {
    write_image(cat(numbered.root, "/test/", c, "/0.png"), c);
    eleven.push_back(std::to_string(c));
  }
  CHECK(evaluation_class_order(numbered, "test", eleven) == eleven);
  const auto source = make_source_for_classes(numbered, "test", eleven);
  for (int64_t i = 0; i < source->size(); ++i)  // each folder's images carry its number as label
    CHECK(source->load(i).name.find(cat("/test/", source->label(i), "/")) != std::string::npos);

  // Array sources carry index labels: the model's order.
  DataSection arrays;
  arrays.source = "npz";
  CHECK(evaluation_class_order(arrays, "test", unnamed) == unnamed);
}
