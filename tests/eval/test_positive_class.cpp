// eval.positive_class names the class that sensitivity and thresholds are about, by name or index.
#include "catch.h"
#include "core/config.h"
#include "core/error.h"
#include "eval/positive_class.h"

using namespace softvit;

TEST_CASE("positive class: by name or by index, and an unknown one lists the classes", "[eval]") {
  const std::vector<std::string> breast = {"malignant", "normal/benign"};
  CHECK(positive_class_index("malignant", breast) == 0);
  CHECK(positive_class_index("normal/benign", breast) == 1);
  CHECK(positive_class_index("1", breast) == 1);
  CHECK(positive_class_index("0", breast) == 0);
  CHECK_THROWS_WITH(positive_class_index("benign", breast), Catch::Contains("'benign'") &&
                                                                Catch::Contains("0 'malignant'") &&
                                                                Catch::Contains("1 'normal/benign'"));
  CHECK_THROWS_AS(positive_class_index("2", breast), ConfigError);
  // Unnamed classes: the names are the indices.
  CHECK(positive_class_index("1", {"0", "1"}) == 1);

  // The shipped MedMNIST configs name their classes and the clinically meaningful positive class.
  const std::string configs = std::string(SOFTVIT_SOURCE_DIR) + "/configs/";
  for (const auto& [file, classes, positive] :
       {std::tuple{"breastmnist.yaml", breast, 0}, std::tuple{"breastmnist_soft.yaml", breast, 0},
        std::tuple{"pneumoniamnist.yaml", std::vector<std::string>{"normal", "pneumonia"}, 1},
        std::tuple{"pneumoniamnist_soft.yaml", std::vector<std::string>{"normal", "pneumonia"}, 1}}) {
    INFO(file);
    const RunConfig c = load_config(configs + file);
    CHECK(c.data.classes == classes);
    CHECK(positive_class_index(c.eval.positive_class, c.data.classes) == positive);
  }
}
