// The SOFT backbones (Lu et al., NeurIPS 2021; release: fudan-zvg/SOFT): a 4-stage pyramid.
//   stem (stride 4): Conv3x3(in->32, s2)-BN-ReLU, Conv3x3(32->32)-BN-ReLU, Conv3x3(32->C1, s2)-BN-ReLU
//   stages 2-4 open with Conv3x3(s2, pad 1)-BN-ReLU; all these convs have biases.
//   stages 1-3: post-norm blocks x = LN(x + Drop(Attn(x))), x = LN(x + Drop(FFN(x))), FFN ratio 4
//     with tanh GELU, LayerNorm eps 1e-5, plain element-wise dropout at the drop-path rate (as the
//     release trains); attention by name (soft by default; landmarks sr = 8, 4, 2, local 9, 5, 3).
//   stage 4: cls token, pre-norm softmax blocks (eps 1e-6, qkv bias, DropPath); final LN, Linear.
// Every stage has a learnable position embedding for the declared size (3136, 784, 196, 49 + 1 at
// 224 px), resized bilinearly to the actual grid, so any input size works.
// The small-image stem (stem_stride 2) drops the first conv's stride: a 28 px input gives stage
// grids 14, 7, 4, 2 instead of 7, 4, 2, 1.
//
// Parameter names follow the release's softmax_free_vision_transformer.py:
//   patch_embed1.proj.{0,3,6} convs, .{1,4,7} BN; patch_embed{2,3,4}.proj.{0: conv, 1: BN}
//   pos_embed1..4, cls_token, block1..3.N.att.{mha, norm1, ff1, ff2, norm2},
//   block4.N.{norm1, attn.{q, kv, proj}, norm2, mlp.{fc1, fc2}}, norm, head.
#pragma once
#include <array>
#include <string>
#include <vector>

#include "models/attention.h"
#include "models/attention_registry.h"
#include "models/layer_norm.h"
#include "models/layers.h"
#include "models/linear.h"
#include "models/model.h"
#include "models/vit.h"

namespace softvit {

struct PyramidOptions {
  std::string name = "soft";
  int64_t img_size = 224;
  int64_t in_chans = 3;
  int64_t num_classes = 1000;
  int64_t stem_stride = 4;  // 4: the release's stem; 2: small-image stem (28-64 px)
  std::vector<int64_t> dims = {64, 128, 320, 512};
  std::vector<int64_t> heads = {2, 4, 10, 16};
  std::vector<int64_t> depths = {1, 2, 3, 2};
  std::vector<int64_t> sr_ratios = {8, 4, 2};   // stages 1-3
  std::vector<int64_t> local_conv = {9, 5, 3};  // stages 1-3
  double mlp_ratio = 4.0;
  double drop_rate = 0.0;
  double drop_path = 0.0;
  std::string attention = "soft";      // stages 1-3
  AttentionOptions attention_options;  // landmarks, Newton, seqnorm settings; sizes set per stage
};

// One post-norm transformer layer of stages 1-3; registered as blockS.N.att.
struct PostNormBlock : torch::nn::Module {
  PostNormBlock(const AttentionPtr& attention, int64_t dim, double mlp_ratio, double drop);
  torch::Tensor forward(torch::Tensor x, int64_t grid_h, int64_t grid_w);

  AttentionPtr mha;
  LayerNorm norm1{nullptr}, norm2{nullptr};
  Linear ff1{nullptr}, ff2{nullptr};
  torch::nn::Dropout dropout1{nullptr}, dropout2{nullptr};
};

struct SoftPyramid : Model {
  explicit SoftPyramid(PyramidOptions options);
  torch::Tensor forward(torch::Tensor images) override;
  // Stage-4 tokens after the final norm: B x (1 + h*w) x C4.
  torch::Tensor forward_features(torch::Tensor images);
  std::string name() const override { return options.name; }
  int64_t num_classes() const override { return options.num_classes; }
  // Stage 4's patch tokens entering its last block's attention (block4.{n-1}.norm1), on stage 4's
  // grid (1/32 of the input with the release's stem, 1/16 with the small-image stem); as for the
  // ViT, tokens after the last block carry no gradient to the cls token that the head reads.
  TokenMapForward forward_token_map(torch::Tensor images) override;
  // Stage 1's grid: the stem's stride.
  int64_t input_cell() const override { return options.stem_stride; }

  PyramidOptions options;
  std::array<torch::nn::Sequential, 4> patch_embed{nullptr, nullptr, nullptr,
                                                   nullptr};  // registered as patch_embedS.proj
  std::array<torch::Tensor, 4> pos_embed;                     // pos_embed4 has the cls position first
  std::array<int64_t, 4> pos_grid{};                          // side of each declared position grid
  std::array<torch::nn::Dropout, 4> pos_drop{nullptr, nullptr, nullptr, nullptr};
  std::array<std::vector<std::shared_ptr<PostNormBlock>>, 3> stage_blocks;
  torch::nn::ModuleList block4;  // VitBlock
  torch::Tensor cls_token;
  LayerNorm norm{nullptr};
  Linear head{nullptr};

 private:
  // Stages 1-3 and stage 4's embedding: B x (1 + h*w) x C4 tokens entering block4, on grid h x w.
  torch::Tensor stage4_tokens(const torch::Tensor& images, int64_t& grid_h, int64_t& grid_w);
};

}  // namespace softvit
