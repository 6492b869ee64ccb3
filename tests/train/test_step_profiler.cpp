// The step profiler (bench train --profile): it runs the step the asked number of times under the
// profiler and writes a Chrome trace that holds the step's operators.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "catch.h"
#include "test_util.h"
#include "train/step_profiler.h"

using namespace softvit;

TEST_CASE("step profiler: runs the step the asked times and writes a trace of its operators",
          "[train][profile]") {
  TempDir dir;
  const auto a = torch::randn({64, 64});
  int calls = 0;
  const StepProfile p = profile_steps(
      torch::kCPU, 3,
      [&] {
        ++calls;
        (void)torch::mm(a, a);
      },
      dir.path("trace.json"));
  CHECK(calls == 3);
  CHECK(p.wall_ms > 0);
  CHECK(p.device_busy_ms == 0);  // no device kernels on the CPU
  CHECK(p.table.rfind("3 steps: wall ", 0) == 0);
  std::ifstream in(dir.path("trace.json"));
  std::stringstream trace;
  trace << in.rdbuf();
  CHECK(trace.str().find("aten::mm") != std::string::npos);
}
