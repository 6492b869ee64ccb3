// Two honest views of a process's memory peak, for the benchmarks:
//   - tensor bytes: a CPU allocator that wraps LibTorch's default one and keeps the current and
//     peak number of bytes handed out (what the tensors of a computation occupy at most);
//   - resident set: VmHWM / VmRSS from /proc/self/status, after resetting the high-water mark
//     (everything the process touched, including library scratch space and allocator slack).
#pragma once
#include <c10/core/Allocator.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <unordered_map>

namespace softvit::cli {

class CountingCpuAllocator final : public c10::Allocator {
 public:
  // Wraps the current CPU allocator and installs itself in its place (for this process).
  static CountingCpuAllocator& install();

  c10::DataPtr allocate(size_t bytes) override;
  void copy_data(void* dest, const void* src, std::size_t count) const override;
  // Some kernels use the raw interface (pointer == context), so allocations stay "simple".
  c10::DeleterFnPtr raw_deleter() const override { return &release; }

  int64_t current() const { return current_.load(); }
  int64_t peak() const { return peak_.load(); }
  void reset_peak() { peak_.store(current_.load()); }

 private:
  explicit CountingCpuAllocator(c10::Allocator* base) : base_(base), base_deleter_(base->raw_deleter()) {}
  static void release(void* data);
  c10::Allocator* base_;
  c10::DeleterFnPtr base_deleter_;
  std::mutex mutex_;
  std::unordered_map<void*, int64_t> sizes_;
  std::atomic<int64_t> current_{0}, peak_{0};
};

// Resident set size and its high-water mark, in bytes (0 where /proc is unavailable).
int64_t resident_bytes();
int64_t resident_peak_bytes();
// Resets the high-water mark to the current resident size (Linux >= 4.0); false if refused.
bool reset_resident_peak();

}  // namespace softvit::cli
