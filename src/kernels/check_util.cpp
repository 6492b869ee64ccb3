#include "kernels/check_util.h"

#include <c10/core/Event.h>
#include <c10/core/impl/DeviceGuardImplInterface.h>
#include <torch/cuda.h>

#include <algorithm>

#include "core/strings.h"

namespace softvit::kernels::check {

void Target::synchronize() const {
  if (device.is_cuda()) torch::cuda::synchronize();
}

double median_ms(const std::function<void()>& fn, int repeats) {
  const auto* impl = c10::impl::getDeviceGuardImpl(c10::DeviceType::CUDA);
  const auto stream = impl->getStream(c10::Device(c10::DeviceType::CUDA));
  fn();
  fn();
  std::vector<double> ms;
  for (int r = 0; r < repeats; ++r) {
    c10::Event start(c10::DeviceType::CUDA, c10::EventFlag::BACKEND_DEFAULT);
    c10::Event stop(c10::DeviceType::CUDA, c10::EventFlag::BACKEND_DEFAULT);
    start.record(stream);
    fn();
    stop.record(stream);
    stop.synchronize();
    ms.push_back(start.elapsedTime(stop));
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

double max_abs(const torch::Tensor& t) { return t.abs().max().item<double>(); }
double abs_error(const torch::Tensor& got, const torch::Tensor& expected) {
  return max_abs(got.to(torch::kFloat64) - expected.to(torch::kFloat64));
}
double rel_error(const torch::Tensor& got, const torch::Tensor& expected) {
  return abs_error(got, expected) / std::max(max_abs(expected.to(torch::kFloat64)), 1e-30);
}
double rel_error_floor_1(const torch::Tensor& got, const torch::Tensor& expected) {
  return abs_error(got, expected) / std::max(max_abs(expected.to(torch::kFloat64)), 1.0);
}
bool all_written(const torch::Tensor& t) { return !t.isnan().any().item<bool>(); }

Row make_row(std::string kernel, std::string shape, std::string dtype, const torch::Tensor& got, double error,
             double bound, double reference_error) {
  Row r{std::move(kernel), std::move(shape), std::move(dtype)};
  r.error = error, r.bound = bound, r.reference_error = reference_error;
  r.written = all_written(got);
  r.pass = r.written && error <= bound;  // NaN error fails too
  return r;
}

std::vector<int64_t> with(std::vector<int64_t> batch, std::initializer_list<int64_t> tail) {
  batch.insert(batch.end(), tail);
  return batch;
}

std::string shape_text(const std::vector<int64_t>& batch, const std::string& rest) {
  std::vector<std::string> parts;
  for (auto b : batch) parts.push_back(std::to_string(b));
  return "b=" + join(parts, "x") + " " + rest;
}

}  // namespace softvit::kernels::check
