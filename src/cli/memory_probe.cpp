#include "cli/memory_probe.h"

#include <c10/core/CPUAllocator.h>

#include <cstring>
#include <fstream>
#include <string>

namespace softvit::cli {
namespace {

struct Allocation {
  c10::DataPtr inner;
  int64_t bytes;
  CountingCpuAllocator* owner;
};

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
  static CountingCpuAllocator* instance = [] {
    auto* allocator = new CountingCpuAllocator(c10::GetCPUAllocator());  // lives as long as the process
    c10::SetCPUAllocator(allocator, /*priority=*/100);
    return allocator;
  }();
  return *instance;
}

c10::DataPtr CountingCpuAllocator::allocate(size_t bytes) {
  c10::DataPtr inner = base_->allocate(bytes);
  void* data = inner.get();
  const auto device = inner.device();
  auto* context = new Allocation{std::move(inner), static_cast<int64_t>(bytes), this};
  const int64_t now = current_.fetch_add(context->bytes) + context->bytes;
  int64_t seen = peak_.load();
  while (now > seen && !peak_.compare_exchange_weak(seen, now)) {
  }
  return {data, context, &CountingCpuAllocator::release, device};
}

void CountingCpuAllocator::release(void* context) {
  auto* allocation = static_cast<Allocation*>(context);
  allocation->owner->current_.fetch_sub(allocation->bytes);
  delete allocation;  // frees through the wrapped allocator's deleter
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
