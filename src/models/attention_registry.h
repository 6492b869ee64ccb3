// Attention implementations by name: softmax, soft, soft_norm, seqnorm, sima. A new attention is
// one class plus one line in attention_registry.cpp.
#pragma once
#include <string>
#include <vector>

#include "models/attention.h"

namespace softvit {

// Settings of every kind in one place; each kind reads the fields it needs.
struct AttentionOptions {
  int64_t dim = 0;
  int64_t num_heads = 1;
  bool qkv_bias = true;
  double proj_drop = 0.0;

  // softmax
  bool fused = true;       // scaled_dot_product_attention; false: explicit softmax(QK^T)V
  bool split_qkv = false;  // q and kv projections (the SOFT release's stage 4) instead of qkv

  // soft, soft_norm
  int64_t sr_ratio = 1;            // landmark conv kernel = stride
  int64_t local_conv = 0;          // depthwise kernel of the local value path; 0: none
  std::string landmarks = "conv";  // conv | avgpool
  int64_t landmark_count = 0;      // fixed landmarks per head (a square); 0: by stride
  int64_t newton_iterations = 20;
  double newton_regularization = 0.01;

  // seqnorm
  std::string seqnorm_stat = "standardise";  // standardise | l2
  double seqnorm_eps = 1e-5;
  bool seqnorm_cls = true;  // the cls (extra) tokens enter the statistics
};

AttentionPtr make_attention(const std::string& kind, const AttentionOptions& options);
std::vector<std::string> attention_kinds();

}  // namespace softvit
