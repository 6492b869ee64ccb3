// What the kernel checks share (src/kernels/<kernel>_check.cpp, listed in check_registry.cpp and run
// by `softvit check kernels`): the target they run on, the row each measurement becomes, the error
// measures and the CUDA-event timer.
//
// The checks sit beside their kernels but one layer higher: they compare the fused kernels with the
// reference paths of src/models, so they are built into softvit_lib, not into softvit_kernels
// (CMakeLists.txt), and nothing in softvit_kernels includes them.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <limits>
#include <string>
#include <vector>

namespace softvit::kernels::check {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Gradient bounds that several kernels share: gradients in fp32 accumulate many terms; bf16
// gradients are rounded to bf16 (2^-9 relative) at the end. Each kernel's other bounds are stated
// in its own check.
constexpr double kGradRelFp32 = 1e-4;
constexpr double kGradRelBf16 = 1e-2;

// What is checked: the fused CUDA kernels or, for --cpu-dry-run (a self-test of the checks that
// runs in CI), the reference paths on the CPU standing in for them; and how.
struct Target {
  bool dry_run = false;
  torch::Device device{torch::kCUDA};
  int repeats = 20;    // timed repeats per measurement (median)
  bool quick = false;  // the small kernel cases only: no timing, no layer (for compute-sanitizer)

  void synchronize() const;
  bool timed() const { return !dry_run && !quick; }
};

// One line of the table: a measurement against its bound.
struct Row {
  std::string kernel, shape, dtype;
  double error = kNaN, bound = kNaN, reference_error = kNaN;  // reference_error: the fp32 path's
  bool written = true, pass = false;
  double fused_ms = kNaN, reference_ms = kNaN;
};

// Median milliseconds of fn() on the current CUDA stream, after two untimed calls.
double median_ms(const std::function<void()>& fn, int repeats);

double max_abs(const torch::Tensor& t);
// max |got - expected|, in fp64.
double abs_error(const torch::Tensor& got, const torch::Tensor& expected);
// max |got - expected| / max |expected| (norm-wise relative).
double rel_error(const torch::Tensor& got, const torch::Tensor& expected);
// Relative to max(max |ref|, 1): where the reference is zero in exact arithmetic (a LayerNorm of
// width 1 has xhat, dx and dgamma all zero) its rounding noise is no scale to divide by.
double rel_error_floor_1(const torch::Tensor& got, const torch::Tensor& expected);
// No NaN left: every element of a NaN-poisoned output was written (kernels/output_poison.h).
bool all_written(const torch::Tensor& t);

// A row that passes when every element of `got` was written and error <= bound (a NaN error fails).
Row make_row(std::string kernel, std::string shape, std::string dtype, const torch::Tensor& got, double error,
             double bound, double reference_error);

// The batch dimensions followed by `tail`.
std::vector<int64_t> with(std::vector<int64_t> batch, std::initializer_list<int64_t> tail);
// "b=2x3 " + rest.
std::string shape_text(const std::vector<int64_t>& batch, const std::string& rest);

// A case's dtypes: of the two inputs (q / k, or input / weight) and of the output.
struct Precision {
  std::string name;
  torch::ScalarType q, k, out;
};

}  // namespace softvit::kernels::check
