// The libFuzzer entry point of one target, chosen at compile time (SOFTVIT_FUZZ_TARGET): one
// binary per parser, as OSS-Fuzz builds them (tests/fuzz/CMakeLists.txt).
#include <cstddef>
#include <cstdint>

#include "log/log.h"
#include "targets.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  softvit::log::init_console(softvit::log::Level::error);  // warnings about bad input are expected
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto& target = softvit::fuzz::target(SOFTVIT_FUZZ_TARGET);
  target.run(data, size);
  return 0;
}
