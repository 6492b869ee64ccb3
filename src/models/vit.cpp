#include "models/vit.h"

#include "core/error.h"
#include "core/strings.h"
#include "models/attention/softmax.h"
#include "models/attention_registry.h"
#include "models/tapped_blocks.h"

namespace softvit {
namespace {

// Pre-norm: norm1 and norm2 only feed the attention's and the MLP's input projections, so under
// bf16 autocast they may hand over bf16 (models/layer_norm.h); the final norm stays fp32.
LayerNorm layer_norm(int64_t dim, bool feeds_matmul) { return LayerNorm(dim, 1e-6, feeds_matmul); }

}  // namespace

VitBlock::VitBlock(const VitOptions& o, double path_rate) {
  norm1 = register_module("norm1", layer_norm(o.embed_dim, true));
  AttentionOptions attention = o.attention_options;
  attention.dim = o.embed_dim;
  attention.num_heads = o.num_heads;
  attention.qkv_bias = o.qkv_bias;
  attention.proj_drop = o.drop_rate;
  attn = register_module("attn", make_attention(o.attention, attention));
  norm2 = register_module("norm2", layer_norm(o.embed_dim, true));
  mlp = register_module(
      "mlp",
      std::make_shared<Mlp>(o.embed_dim, static_cast<int64_t>(o.embed_dim * o.mlp_ratio), o.drop_rate));
  drop_path1 = register_module("drop_path1", std::make_shared<DropPath>(path_rate));
  drop_path2 = register_module("drop_path2", std::make_shared<DropPath>(path_rate));
}

torch::Tensor VitBlock::forward(torch::Tensor x, int64_t grid_h, int64_t grid_w) {
  x = x + drop_path1->forward(attn->forward(norm1->forward(x), grid_h, grid_w));
  return x + drop_path2->forward(mlp->forward(norm2->forward(x)));
}

torch::Tensor VitBlock::forward_tapped(torch::Tensor x, int64_t grid_h, int64_t grid_w, torch::Tensor* tap) {
  *tap = norm1->forward(x).detach().requires_grad_(true);
  x = x + drop_path1->forward(attn->forward(*tap, grid_h, grid_w));
  return x + drop_path2->forward(mlp->forward(norm2->forward(x)));
}

torch::Tensor VitBlock::forward_with_operator(torch::Tensor x, int64_t grid_h, int64_t grid_w,
                                              torch::Tensor* mixing) {
  const auto y = attn->forward_with_operator(norm1->forward(x), grid_h, grid_w, mixing);
  if (!mixing->defined()) return {};
  x = x + drop_path1->forward(y);
  return x + drop_path2->forward(mlp->forward(norm2->forward(x)));
}

torch::Tensor VitBlock::attention_probabilities(const torch::Tensor& x) {
  auto* softmax = dynamic_cast<SoftmaxAttention*>(attn.get());
  if (!softmax) throw Error("attention rollout needs softmax attention in every block");
  return softmax->probabilities(norm1->forward(x));
}

VisionTransformer::VisionTransformer(VitOptions o) : options(std::move(o)) {
  const auto& op = options;
  TORCH_CHECK(op.img_size % op.patch_size == 0, "image size ", op.img_size,
              " is not a multiple of the patch size ", op.patch_size);
  const int64_t grid = op.img_size / op.patch_size;
  auto patch_embed = register_module("patch_embed", std::make_shared<torch::nn::Module>());
  patch_proj = patch_embed->register_module(
      "proj", torch::nn::Conv2d(
                  torch::nn::Conv2dOptions(op.in_chans, op.embed_dim, op.patch_size).stride(op.patch_size)));
  cls_token = register_parameter("cls_token", torch::zeros({1, 1, op.embed_dim}));
  pos_embed = register_parameter("pos_embed", torch::zeros({1, grid * grid + 1, op.embed_dim}));
  pos_drop = register_module("pos_drop", torch::nn::Dropout(op.drop_rate));
  blocks = register_module("blocks", torch::nn::ModuleList());
  for (int64_t i = 0; i < op.depth; ++i) {
    const double rate = op.depth > 1 ? op.drop_path * i / (op.depth - 1) : 0.0;
    blocks->push_back(std::make_shared<VitBlock>(op, rate));
  }
  norm = register_module("norm", layer_norm(op.embed_dim, false));
  head_drop = register_module("head_drop", torch::nn::Dropout(op.drop_rate));
  head = register_module("head", Linear(op.embed_dim, op.num_classes));

  init_vit_weights(*this);
  trunc_normal_(pos_embed, 0.02);
  {
    torch::NoGradGuard no_grad;
    cls_token.normal_(0.0, 1e-6);  // timm's choice for the cls token
  }
}

torch::Tensor VisionTransformer::embed(const torch::Tensor& images, int64_t& h, int64_t& w) {
  auto x = patch_proj->forward(images);  // B x C x h x w
  const int64_t grid = options.img_size / options.patch_size;
  h = x.size(2), w = x.size(3);
  x = x.flatten(2).transpose(1, 2);  // B x hw x C
  auto pos = resize_pos_embed(pos_embed.slice(1, 1), grid, grid, h, w);
  x = torch::cat({cls_token.expand({x.size(0), -1, -1}) + pos_embed.slice(1, 0, 1), x + pos}, 1);
  return pos_drop->forward(x);
}

torch::Tensor VisionTransformer::forward_features(torch::Tensor images) {
  int64_t h = 0, w = 0;
  auto x = embed(images, h, w);
  for (const auto& block : *blocks) x = block->as<VitBlock>()->forward(x, h, w);
  return norm->forward(x);
}

TokenMapForward VisionTransformer::forward_token_map(torch::Tensor images) {
  TokenMapForward out;
  torch::Tensor x;
  const auto depth = static_cast<int64_t>(blocks->size());
  if (depth == 0) throw Error(cat("model '", name(), "' has no block to explain"));
  {
    torch::NoGradGuard no_grad;  // nothing before the map is differentiated
    x = embed(images, out.grid_h, out.grid_w);
  }
  x = forward_blocks_tapped(blocks, x, out);
  out.logits = head->forward(head_drop->forward(norm->forward(x).select(1, 0)));
  out.extra_tokens = 1;
  out.layer = cat("blocks.", depth - 1, ".norm1 (patch tokens into the last attention)");
  return out;
}

AttentionMaps VisionTransformer::attention_probabilities(torch::Tensor images) {
  torch::NoGradGuard no_grad;
  AttentionMaps out;
  auto x = embed(images, out.grid_h, out.grid_w);
  out.extra_tokens = 1;
  for (const auto& module : *blocks) {
    auto* block = module->as<VitBlock>();
    try {
      out.layers.push_back(block->attention_probabilities(x));
    } catch (const Error& e) {
      throw Error(cat("model '", name(), "' (", options.attention, " attention): ", e.what()));
    }
    x = block->forward(x, out.grid_h, out.grid_w);
  }
  return out;
}

AttentionOperatorForward VisionTransformer::forward_attention_operators(torch::Tensor images) {
  AttentionOperatorForward out;
  torch::Tensor x;
  {
    torch::NoGradGuard no_grad;  // nothing before the first operator is differentiated
    x = embed(images, out.maps.grid_h, out.maps.grid_w);
  }
  out.maps.extra_tokens = 1;
  for (const auto& module : *blocks) {
    torch::Tensor mixing;
    x = module->as<VitBlock>()->forward_with_operator(x, out.maps.grid_h, out.maps.grid_w, &mixing);
    if (!mixing.defined())
      throw Error(cat("model '", name(), "' (", options.attention,
                      " attention): gradient-weighted rollout needs softmax, soft or soft_norm attention"));
    out.maps.layers.push_back(mixing);
  }
  out.logits = head->forward(head_drop->forward(norm->forward(x).select(1, 0)));
  return out;
}

torch::Tensor VisionTransformer::forward(torch::Tensor images) {
  auto x = forward_features(images).select(1, 0);
  return head->forward(head_drop->forward(x));
}

}  // namespace softvit
