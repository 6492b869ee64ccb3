#include "models/soft_pyramid.h"

#include "core/error.h"
#include "core/strings.h"
#include "models/sync_batch_norm.h"
#include "models/tapped_blocks.h"

namespace softvit {
namespace {

// Conv3x3, pad 1: output side for an input side and a stride.
int64_t conv3_out(int64_t side, int64_t stride) { return (side - 1) / stride + 1; }

void conv_bn_relu(torch::nn::Sequential& seq, int64_t in, int64_t out, int64_t stride) {
  seq->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).stride(stride).padding(1)));
  seq->push_back(SyncBatchNorm2d(out));  // BatchNorm2d unless distributed training syncs it
  seq->push_back(torch::nn::ReLU());
}

void check(const PyramidOptions& o) {
  auto need = [](const std::vector<int64_t>& v, size_t n, const char* key) {
    if (v.size() != n) throw ConfigError(cat("model.", key, " needs ", n, " values, got ", v.size()));
    for (auto x : v)
      if (x < 0) throw ConfigError(cat("model.", key, " must not be negative"));
  };
  need(o.dims, 4, "dims");
  need(o.heads, 4, "heads");
  need(o.depths, 4, "depths");
  need(o.sr_ratios, 3, "sr_ratios");
  need(o.local_conv, 3, "local_conv");
  for (size_t s = 0; s < 4; ++s)
    if (o.heads[s] < 1 || o.dims[s] % o.heads[s] != 0)
      throw ConfigError(cat("model.dims: stage ", s + 1, " width ", o.dims[s], " is not divisible by ",
                            o.heads[s], " heads (model.heads)"));
  if (o.stem_stride != 2 && o.stem_stride != 4)
    throw ConfigError(cat("pyramid stem stride must be 2 or 4, got ", o.stem_stride));
  if (o.img_size < 1) throw ConfigError("model.img_size must be positive");
}

}  // namespace

PostNormBlock::PostNormBlock(const AttentionPtr& attention, int64_t dim, double mlp_ratio, double drop) {
  mha = register_module("mha", attention);
  dropout1 = register_module("dropout1", torch::nn::Dropout(drop));
  norm1 = register_module("norm1", LayerNorm(dim));
  const auto hidden = static_cast<int64_t>(dim * mlp_ratio);
  ff1 = register_module("ff1", Linear(dim, hidden));
  ff2 = register_module("ff2", Linear(hidden, dim));
  dropout2 = register_module("dropout2", torch::nn::Dropout(drop));
  norm2 = register_module("norm2", LayerNorm(dim));
}

torch::Tensor PostNormBlock::forward(torch::Tensor x, int64_t grid_h, int64_t grid_w) {
  x = norm1->forward(x + dropout1->forward(mha->forward(x, grid_h, grid_w)));
  auto h = ff2->forward(torch::gelu(ff1->forward(x), "tanh"));
  return norm2->forward(x + dropout2->forward(h));
}

SoftPyramid::SoftPyramid(PyramidOptions o) : options(std::move(o)) {
  const auto& op = options;
  check(op);
  const auto& dims = op.dims;

  // Embeddings: the stem, then one strided conv per stage.
  for (int s = 0; s < 4; ++s) {
    torch::nn::Sequential proj;
    if (s == 0) {
      conv_bn_relu(proj, op.in_chans, 32, op.stem_stride == 4 ? 2 : 1);
      conv_bn_relu(proj, 32, 32, 1);
      conv_bn_relu(proj, 32, dims[0], 2);
    } else {
      conv_bn_relu(proj, dims[s - 1], dims[s], 2);
    }
    auto holder = register_module(cat("patch_embed", s + 1), std::make_shared<torch::nn::Module>());
    patch_embed[s] = holder->register_module("proj", proj);
  }
  int64_t side = op.stem_stride == 4 ? conv3_out(conv3_out(op.img_size, 2), 2) : conv3_out(op.img_size, 2);
  for (int s = 0; s < 4; ++s) {
    if (s > 0) side = conv3_out(side, 2);
    pos_grid[s] = side;
    const int64_t tokens = side * side + (s == 3 ? 1 : 0);
    pos_embed[s] = register_parameter(cat("pos_embed", s + 1), torch::zeros({1, tokens, dims[s]}));
    pos_drop[s] = register_module(cat("pos_drop", s + 1), torch::nn::Dropout(op.drop_rate));
  }

  // Drop rate per block, linear over all blocks.
  const int64_t total = op.depths[0] + op.depths[1] + op.depths[2] + op.depths[3];
  int64_t index = 0;
  auto rate = [&] { return total > 1 ? op.drop_path * static_cast<double>(index++) / (total - 1) : 0.0; };

  for (int s = 0; s < 3; ++s) {
    AttentionOptions a = op.attention_options;
    a.dim = dims[s];
    a.num_heads = op.heads[s];
    a.qkv_bias = true;
    a.sr_ratio = op.sr_ratios[s];
    a.local_conv = op.local_conv[s];
    auto list = register_module(cat("block", s + 1), torch::nn::ModuleList());
    for (int64_t i = 0; i < op.depths[s]; ++i) {
      auto block =
          std::make_shared<PostNormBlock>(make_attention(op.attention, a), dims[s], op.mlp_ratio, rate());
      auto holder = std::make_shared<torch::nn::Module>();
      holder->register_module("att", block);
      list->push_back(holder);
      stage_blocks[s].push_back(block);
    }
  }

  VitOptions last;
  last.embed_dim = dims[3];
  last.num_heads = op.heads[3];
  last.mlp_ratio = op.mlp_ratio;
  last.qkv_bias = true;
  last.drop_rate = op.drop_rate;
  last.attention = "softmax";
  last.attention_options.split_qkv = true;
  block4 = register_module("block4", torch::nn::ModuleList());
  for (int64_t i = 0; i < op.depths[3]; ++i) block4->push_back(std::make_shared<VitBlock>(last, rate()));
  norm = register_module("norm", LayerNorm(dims[3], 1e-6));
  cls_token = register_parameter("cls_token", torch::zeros({1, 1, dims[3]}));
  head = register_module("head", Linear(dims[3], op.num_classes));

  init_vit_weights(*this);  // Linear trunc-normal 0.02, zero bias; LayerNorm 1 / 0; convs, BN default
  for (auto& p : pos_embed) trunc_normal_(p, 0.02);
  trunc_normal_(cls_token, 0.02);
}

torch::Tensor SoftPyramid::stage4_tokens(const torch::Tensor& images, int64_t& h, int64_t& w) {
  const int64_t b = images.size(0);
  auto x = images;
  torch::Tensor tokens;
  for (int s = 0; s < 4; ++s) {
    x = patch_embed[s]->forward(x);
    h = x.size(2), w = x.size(3);
    tokens = x.flatten(2).transpose(1, 2);  // B x hw x C
    const int64_t g = pos_grid[s];
    if (s < 3) {
      tokens = tokens + resize_pos_embed(pos_embed[s], g, g, h, w, Interpolation::bilinear);
      tokens = pos_drop[s]->forward(tokens);
      for (const auto& block : stage_blocks[s]) tokens = block->forward(tokens, h, w);
      x = tokens.reshape({b, h, w, -1}).permute({0, 3, 1, 2});  // a channels-last view: no copy
    }
  }
  const auto grid_pos = resize_pos_embed(pos_embed[3].narrow(1, 1, pos_grid[3] * pos_grid[3]), pos_grid[3],
                                         pos_grid[3], h, w, Interpolation::bilinear);
  const auto cls = cls_token.expand({b, -1, -1}) + pos_embed[3].narrow(1, 0, 1);
  return pos_drop[3]->forward(torch::cat({cls, tokens + grid_pos}, 1));
}

torch::Tensor SoftPyramid::forward_features(torch::Tensor images) {
  int64_t h = 0, w = 0;
  auto tokens = stage4_tokens(images, h, w);
  for (const auto& block : *block4) tokens = block->as<VitBlock>()->forward(tokens, h, w);
  return norm->forward(tokens);
}

TokenMapForward SoftPyramid::forward_token_map(torch::Tensor images) {
  TokenMapForward out;
  torch::Tensor x;
  const auto depth = static_cast<int64_t>(block4->size());
  if (depth == 0) throw Error(cat("model '", name(), "' has no stage-4 block to explain"));
  {
    torch::NoGradGuard no_grad;  // nothing before the map is differentiated
    x = stage4_tokens(images, out.grid_h, out.grid_w);
  }
  x = forward_blocks_tapped(block4, x, out);
  out.logits = head->forward(norm->forward(x).select(1, 0));
  out.extra_tokens = 1;
  out.layer = cat("block4.", depth - 1, ".norm1 (stage-4 patch tokens into the last attention)");
  return out;
}

torch::Tensor SoftPyramid::forward(torch::Tensor images) {
  return head->forward(forward_features(images).select(1, 0));
}

}  // namespace softvit
