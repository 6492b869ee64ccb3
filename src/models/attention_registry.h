// Attention implementations by name ("softmax", ...). A new attention is one class plus one line
// in attention_registry.cpp.
#pragma once
#include <string>
#include <vector>

#include "models/attention.h"

namespace softvit {

struct AttentionOptions {
  int64_t dim;
  int64_t num_heads;
  bool qkv_bias = true;
  double proj_drop = 0.0;
};

AttentionPtr make_attention(const std::string& kind, const AttentionOptions& options);
std::vector<std::string> attention_kinds();

}  // namespace softvit
