// What each fuzz target feeds its parser. A parser may accept the bytes or throw softvit::Error
// (the project's error type, with a message); any other exception, a crash or a sanitizer report
// is a defect. Shared by the libFuzzer binaries (entry.cpp) and by the Catch2 test that replays
// every corpus file (tests/parsers/test_fuzz_corpus.cpp).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace softvit::fuzz {

struct Target {
  std::string name;  // also the corpus folder: tests/fuzz/corpus/<name>
  void (*run)(const uint8_t* data, size_t size);
};

const std::vector<Target>& targets();

// The target called `name`; throws std::invalid_argument for an unknown one.
const Target& target(const std::string& name);

}  // namespace softvit::fuzz
