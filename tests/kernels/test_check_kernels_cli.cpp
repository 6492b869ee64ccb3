// `softvit check kernels` needs a GPU for its real run; its --cpu-dry-run runs the same harness on
// the CPU with the reference paths standing in for the fused kernels, so CI catches a broken
// harness (and bounds the fp32 reference itself would miss) before a device run.
#include <torch/cuda.h>

#include "catch.h"
#include "test_util.h"

TEST_CASE("check kernels: the harness runs on the CPU and passes with the reference paths",
          "[kernels][cli]") {
  const auto run = run_softvit("check kernels --cpu-dry-run --json /dev/null");
  INFO(run.text);
  CHECK(run.status == 0);
  CHECK_THAT(run.text, Catch::Contains("checks, 0 failed"));
  for (const char* kernel : {"gaussian fwd", "gaussian dq", "gaussian dk", "newton pinv", "soft layer y",
                             "soft layer dx", "dwconv fwd", "dwconv dx", "dwconv dw"})
    CHECK_THAT(run.text, Catch::Contains(kernel));
  CHECK_THAT(run.text, Catch::Contains("b=2x3 n=33 m=49 d=17"));
  CHECK_THAT(run.text, Catch::Contains("bf16/fp32"));
  CHECK_THAT(run.text, Catch::Contains("b=3 c=5 1x1 k=3"));
  CHECK_THAT(run.text, Catch::Contains("b=2 c=64 9x13 k=11"));
}

TEST_CASE("check kernels: without the dry run it needs CUDA and says so", "[kernels][cli]") {
  if (torch::cuda::is_available()) {
    WARN("softvit test skipped: a CUDA device is present (the real check is scripts/gpu_kernels.sh)");
    return;
  }
  const auto run = run_softvit("check kernels --quick");
  CHECK(run.status != 0);
  CHECK_THAT(run.text, Catch::Contains("check kernels: "));
}
