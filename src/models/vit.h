// Isotropic Vision Transformer (ViT / DeiT), pre-norm, with timm's parameter names so that timm
// weights load one to one. The attention of every block is chosen by name (softmax by default).
#pragma once
#include <string>

#include "models/attention.h"
#include "models/attention_registry.h"
#include "models/layer_norm.h"
#include "models/layers.h"
#include "models/linear.h"
#include "models/model.h"

namespace softvit {

struct VitOptions {
  std::string name = "vit";
  int64_t img_size = 224;
  int64_t patch_size = 16;
  int64_t in_chans = 3;
  int64_t num_classes = 1000;
  int64_t embed_dim = 192;
  int64_t depth = 12;
  int64_t num_heads = 3;
  double mlp_ratio = 4.0;
  bool qkv_bias = true;
  double drop_rate = 0.0;
  double drop_path = 0.0;
  std::string attention = "softmax";
  // Settings of the blocks' attention; dim, heads, qkv bias and dropout are set per block. SOFT in
  // a ViT samples landmarks with stride 2 and has a 3x3 local path, like SOFT's stage 3, which runs
  // on the same 14 x 14 grid at 224 px.
  AttentionOptions attention_options = [] {
    AttentionOptions a;
    a.sr_ratio = 2;
    a.local_conv = 3;
    return a;
  }();
};

struct VitBlock : torch::nn::Module {
  VitBlock(const VitOptions& options, double drop_path);
  torch::Tensor forward(torch::Tensor x, int64_t grid_h, int64_t grid_w);
  // The same with the attention's input, norm1(x), cut from what came before and made a leaf that
  // requires grad (*tap): Grad-CAM's token map (eval/explain).
  torch::Tensor forward_tapped(torch::Tensor x, int64_t grid_h, int64_t grid_w, torch::Tensor* tap);
  // Its attention's softmax probabilities for input x; throws Error unless it is softmax attention.
  torch::Tensor attention_probabilities(const torch::Tensor& x);
  // The same as forward, the attention computed through its explicit token mixing, which goes to
  // *mixing (undefined where the attention has none): gradient-weighted rollout (eval/explain).
  torch::Tensor forward_with_operator(torch::Tensor x, int64_t grid_h, int64_t grid_w, torch::Tensor* mixing);

  LayerNorm norm1{nullptr}, norm2{nullptr};
  AttentionPtr attn;
  std::shared_ptr<Mlp> mlp;
  std::shared_ptr<DropPath> drop_path1, drop_path2;
};

struct VisionTransformer : Model {
  explicit VisionTransformer(VitOptions options);
  torch::Tensor forward(torch::Tensor images) override;
  // Tokens after the final norm: B x (1 + h*w) x C.
  torch::Tensor forward_features(torch::Tensor images);
  std::string name() const override { return options.name; }
  int64_t num_classes() const override { return options.num_classes; }
  // The patch tokens entering the last block's attention (blocks.{depth-1}.norm1): the final norm
  // works token by token and the head reads the cls token alone, so tokens after the last block
  // carry no gradient; the last attention is where the patches reach the cls token.
  TokenMapForward forward_token_map(torch::Tensor images) override;
  AttentionMaps attention_probabilities(torch::Tensor images) override;
  // Softmax, SOFT and SOFT-Norm blocks; others throw Error.
  AttentionOperatorForward forward_attention_operators(torch::Tensor images) override;
  int64_t input_cell() const override { return options.patch_size; }

  VitOptions options;
  torch::nn::Conv2d patch_proj{nullptr};  // registered as patch_embed.proj
  torch::Tensor cls_token, pos_embed;
  torch::nn::Dropout pos_drop{nullptr}, head_drop{nullptr};
  torch::nn::ModuleList blocks;
  LayerNorm norm{nullptr};
  Linear head{nullptr};

 private:
  // Patch embedding, cls token and positions: B x (1 + h*w) x C, and the grid h x w.
  torch::Tensor embed(const torch::Tensor& images, int64_t& grid_h, int64_t& grid_w);
};

}  // namespace softvit
