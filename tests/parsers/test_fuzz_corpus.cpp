// Every file of every fuzz target's corpus (tests/fuzz/corpus/<target>), seeds and the inputs that
// once crashed a parser alike, goes through its target again: each must parse or throw
// softvit::Error. Under scripts/test_sanitizers.sh this also checks that none reads out of bounds.
#include <filesystem>
#include <fstream>
#include <iterator>

#include "catch.h"
#include "fuzz/targets.h"

namespace fs = std::filesystem;

TEST_CASE("fuzz corpus: every file parses or throws softvit::Error", "[fuzz]") {
  for (const auto& target : softvit::fuzz::targets()) {
    const fs::path folder = fs::path(SOFTVIT_SOURCE_DIR) / "tests" / "fuzz" / "corpus" / target.name;
    REQUIRE(fs::is_directory(folder));
    int files = 0;
    for (const auto& entry : fs::directory_iterator(folder)) {
      std::ifstream in(entry.path(), std::ios::binary);
      const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                       std::istreambuf_iterator<char>());
      INFO(entry.path().string());
      CHECK_NOTHROW(target.run(bytes.data(), bytes.size()));
      ++files;
    }
    INFO(target.name);
    CHECK(files >= 5);  // a seed corpus, not an empty folder
  }
}
