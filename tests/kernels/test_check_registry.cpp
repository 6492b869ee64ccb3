// The registry of kernel checks (src/kernels/check_registry.cpp): every kernel with a CUDA
// implementation (src/kernels/<kernel>.cu) has a check, each check's file sits beside its kernel
// (src/kernels/<name>_check.cpp), and `softvit check kernels --list` shows them all.
#include <filesystem>
#include <set>
#include <string>

#include "catch.h"
#include "kernels/check_registry.h"
#include "test_util.h"

namespace fs = std::filesystem;

TEST_CASE("kernel checks: every CUDA kernel in src/kernels has a check beside it", "[kernels]") {
  const fs::path kernels = fs::path(SOFTVIT_SOURCE_DIR) / "src" / "kernels";
  std::set<std::string> cuda_kernels;
  for (const auto& entry : fs::directory_iterator(kernels))
    if (entry.path().extension() == ".cu") cuda_kernels.insert(entry.path().stem().string());
  REQUIRE(!cuda_kernels.empty());

  std::set<std::string> names, checked;
  for (const auto& check : softvit::kernels::check::kernel_checks()) {
    INFO(check.name);
    CHECK(names.insert(check.name).second);  // one entry per name
    CHECK(check.run != nullptr);
    CHECK(fs::exists(kernels / (check.name + "_check.cpp")));
    if (check.kernel.empty()) continue;  // a check of several kernels at once (the SOFT layer)
    CHECK(cuda_kernels.count(check.kernel) == 1);
    checked.insert(check.kernel);
  }
  CHECK(checked == cuda_kernels);
}

TEST_CASE("check kernels --list: every registered check, without a GPU", "[kernels][cli]") {
  const auto run = run_softvit("check kernels --list");
  INFO(run.text);
  CHECK(run.status == 0);
  for (const auto& check : softvit::kernels::check::kernel_checks())
    CHECK_THAT(run.text, Catch::Contains(check.name));
}
