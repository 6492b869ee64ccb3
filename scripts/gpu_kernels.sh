#!/usr/bin/env bash
# One device call for the fused CUDA kernels: build for Hopper, run `softvit check kernels` (errors
# against bounds, every output written, fused vs reference times), the kernel tests, then the
# SOFT-Tiny training-step benchmark with the fused kernels and, for comparison, without them
# (SOFTVIT_FUSED_KERNELS=0: the reference ATen paths), and last compute-sanitizer (memcheck,
# racecheck) on the small check cases.
# Usage (on the GPU machine, from the repo root, with .gpu carried): bash scripts/gpu_kernels.sh OUTDIR
# Exit status 0 only when the check, the kernel tests and the sanitizers all pass.
# shellcheck source=scripts/gpu_prelude.sh
source "$(dirname "$0")/gpu_prelude.sh"
output_folder "${1:-/tmp/gpu_kernels}"
build_softvit "$out/build.log" || exit 1
echo "build: $(elapsed) s"
status=0
{
  date -u
  gpu_info
  $B check kernels --json "$out/check_kernels.json"
} 2>&1 | tee "$out/check_kernels.txt"
grep -qE "checks, 0 failed$" "$out/check_kernels.txt" || status=1  # also when the check crashed
echo "check done: $(elapsed) s"
build-gpu/tests/softvit_tests "[kernels]" > "$out/tests_kernels.txt" 2>&1 || status=1
tail -3 "$out/tests_kernels.txt"
{
  $B bench train --model soft_tiny --batch 128 --precision bf16 --device cuda --json "$out/train_soft_tiny_fused.json"
  SOFTVIT_FUSED_KERNELS=0 $B bench train --model soft_tiny --batch 128 --precision bf16 --device cuda \
    --json "$out/train_soft_tiny_reference.json" | tail -1
} 2>&1 | tee "$out/bench.txt"
# compute-sanitizer on the small cases: out-of-bounds accesses, then shared-memory races
# (SANITIZER=0 skips them; each is capped at 120 s, and a timeout is not a failure).
tools="memcheck racecheck"
[ "${SANITIZER:-1}" = 0 ] && tools=""
for tool in $tools; do
  timeout 120 compute-sanitizer --tool $tool --error-exitcode 3 $B check kernels --quick > "$out/sanitizer_$tool.txt" 2>&1
  rc=$?
  echo "compute-sanitizer $tool: exit $rc ($(grep -E "ERROR SUMMARY|RACECHECK SUMMARY" "$out/sanitizer_$tool.txt" | tail -1))"
  [ $rc -eq 0 ] || [ $rc -eq 124 ] || status=1
done
echo "total: $(elapsed) s, status $status"
exit $status
