#include "cli/memory_probe.h"

#include <c10/core/CPUAllocator.h>

#include <cstring>
#include <fstream>
#include <string>

namespace softvit::cli {
namespace {

CountingCpuAllocator* instance = nullptr;

int64_t status_field_kib(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const size_t length = std::strlen(field);
  while (std::getline(in, line))
    if (line.compare(0, length, field) == 0 && line.size() > length && line[length] == ':')
      return std::stoll(line.substr(length + 1));
  return 0;
}

}  // namespace

CountingCpuAllocator& CountingCpuAllocator::install() {
  if (!instance) {
    c10::Allocator* base = c10::GetCPUAllocator();
    TORCH_CHECK(base->raw_deleter(), "the CPU allocator has no raw interface to wrap");
    instance = new CountingCpuAllocator(base);  // lives as long as the process
    c10::SetCPUAllocator(instance, /*priority=*/100);
  }
  return *instance;
}

c10::DataPtr CountingCpuAllocator::allocate(size_t bytes) {
  c10::DataPtr inner = base_->allocate(bytes);
  TORCH_CHECK(inner.get() == inner.get_context(), "the CPU allocator returned a non-simple pointer");
  const auto device = inner.device();
  void* data = inner.release_context();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    sizes_[data] = static_cast<int64_t>(bytes);
  }
  const int64_t now = current_.fetch_add(static_cast<int64_t>(bytes)) + static_cast<int64_t>(bytes);
  int64_t seen = peak_.load();
  while (now > seen && !peak_.compare_exchange_weak(seen, now)) {
  }
  return {data, data, &CountingCpuAllocator::release, device};
}

void CountingCpuAllocator::release(void* data) {
  if (!data) return;
  int64_t bytes = 0;
  {
    std::lock_guard<std::mutex> lock(instance->mutex_);
    const auto it = instance->sizes_.find(data);
    if (it != instance->sizes_.end()) {
      bytes = it->second;
      instance->sizes_.erase(it);
    }
  }
  instance->current_.fetch_sub(bytes);
  instance->base_deleter_(data);
}

void CountingCpuAllocator::copy_data(void* dest, const void* src, std::size_t count) const {
  std::memcpy(dest, src, count);
}

int64_t resident_bytes() { return status_field_kib("VmRSS") * 1024; }
int64_t resident_peak_bytes() { return status_field_kib("VmHWM") * 1024; }

bool reset_resident_peak() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

}  // namespace softvit::cli
