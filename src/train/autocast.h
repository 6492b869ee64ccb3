// Mixed precision: inside an AutocastScope, CUDA ops run in bf16 where autocast's op lists say
// it is safe; weights and the optimizer stay fp32. A no-op on the CPU or for fp32. With `cache`
// false, casts of weights are not cached across ops (needed while capturing a CUDA graph: a cached
// cast made outside the graph would be read by it, one made inside would outlive its pool).
#pragma once
#include <ATen/autocast_mode.h>
#include <torch/torch.h>

namespace softvit {

class AutocastScope {
 public:
  AutocastScope(const torch::Device& device, bool bf16, bool cache = true)
      : active_(bf16 && device.is_cuda()),
        was_enabled_(at::autocast::is_autocast_enabled(at::kCUDA)),
        cache_was_enabled_(at::autocast::is_autocast_cache_enabled()) {
    if (!active_) return;
    if (!cache) at::autocast::set_autocast_cache_enabled(false);
    previous_dtype_ = at::autocast::get_autocast_dtype(at::kCUDA);
    at::autocast::set_autocast_dtype(at::kCUDA, at::kBFloat16);
    at::autocast::set_autocast_enabled(at::kCUDA, true);
    at::autocast::increment_nesting();
  }
  ~AutocastScope() {
    if (!active_) return;
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    at::autocast::set_autocast_enabled(at::kCUDA, was_enabled_);
    at::autocast::set_autocast_dtype(at::kCUDA, previous_dtype_);
    at::autocast::set_autocast_cache_enabled(cache_was_enabled_);
  }
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool active_;
  bool was_enabled_;
  bool cache_was_enabled_;
  at::ScalarType previous_dtype_ = at::kBFloat16;
};

}  // namespace softvit
