// Data that lives outside the repository: Debian's Fashion-MNIST (dataset-fashion-mnist, the
// default data.root) and the project's shared data folder (../shared beside the checkout). A test
// that needs one that is absent WARNs "softvit test skipped:" and returns, which CTest counts as
// skipped (tests/CMakeLists.txt), not failed.
#pragma once
#include <filesystem>
#include <string>

#include "catch.h"

namespace softvit::testing {

inline const std::string kFashionMnist = "/usr/share/datasets/fashion-mnist";

// True when Fashion-MNIST is installed; otherwise says that the test is skipped.
inline bool fashion_mnist_available() {
  if (std::filesystem::exists(kFashionMnist + "/t10k-labels-idx1-ubyte.gz")) return true;
  WARN("softvit test skipped: Fashion-MNIST is not installed at "
       << kFashionMnist << " (apt-get install dataset-fashion-mnist, or run scripts/setup.sh)");
  return false;
}

// ../shared next to the source tree, or "" (after saying that the test is skipped) when its
// data/medmnist folder is not there.
inline std::string shared_dir() {
  const auto dir = std::filesystem::path(SOFTVIT_SOURCE_DIR) / ".." / "shared";
  if (std::filesystem::is_directory(dir / "data" / "medmnist"))
    return std::filesystem::weakly_canonical(dir).string();
  WARN("softvit test skipped: the shared data folder is missing: expected "
       << dir.string() << "/data/medmnist (the project's shared/ beside the checkout)");
  return "";
}

}  // namespace softvit::testing
