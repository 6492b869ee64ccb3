#include "eval/explain/heat_map.h"

#include "core/error.h"
#include "core/strings.h"
#include "eval/explain/gradient_rollout.h"
#include "eval/explain/integrated_gradients.h"
#include "eval/explain/smoothgrad.h"

namespace softvit {

ExplainMethod parse_explain_method(const std::string& name) {
  if (name == "ig") return ExplainMethod::integrated_gradients;
  if (name == "smoothgrad-ig") return ExplainMethod::smoothgrad_integrated_gradients;
  if (name == "gradcam") return ExplainMethod::grad_cam;
  if (name == "chefer") return ExplainMethod::gradient_rollout;
  if (name == "rollout") return ExplainMethod::rollout;
  throw ConfigError(cat("--explain-method: unknown method '", name,
                        "' (known: ig, smoothgrad-ig, gradcam, chefer, rollout)"));
}

std::string explain_method_name(ExplainMethod method) {
  switch (method) {
    case ExplainMethod::smoothgrad_integrated_gradients:
      return "SmoothGrad integrated gradients";
    case ExplainMethod::integrated_gradients:
      return "integrated gradients";
    case ExplainMethod::grad_cam:
      return "Grad-CAM";
    case ExplainMethod::gradient_rollout:
      return "gradient-weighted attention rollout";
    case ExplainMethod::rollout:
      break;
  }
  return "attention rollout";
}

bool explain_method_is_class_specific(ExplainMethod method) { return method != ExplainMethod::rollout; }

torch::Tensor grad_cam_grid(const TokenMapForward& f, const torch::Tensor& classes) {
  const int64_t b = f.tokens.size(0), cells = f.grid_h * f.grid_w;
  TORCH_CHECK(f.tokens.requires_grad(), "the token map is not in the autograd graph");
  TORCH_CHECK(classes.numel() == b, "one class per image is needed");
  // The images of a batch do not interact, so the sum's gradient is each image's own.
  const auto chosen = f.logits.gather(1, classes.to(f.logits.device()).view({b, 1})).sum();
  const auto gradient = torch::autograd::grad({chosen}, {f.tokens})[0].narrow(1, f.extra_tokens, cells);
  const auto activation = f.tokens.detach().narrow(1, f.extra_tokens, cells);  // B x hw x C
  const auto weights = gradient.mean(1, true);                                 // B x 1 x C
  return (activation * weights).sum(-1).relu().reshape({b, f.grid_h, f.grid_w});
}

torch::Tensor rollout_grid(const AttentionMaps& maps) {
  TORCH_CHECK(!maps.layers.empty(), "attention rollout needs at least one block");
  torch::Tensor rollout;
  for (const auto& probabilities : maps.layers) {
    const auto n = probabilities.size(-1);
    // The residual connection carries each token on: half attention, half identity after the
    // renormalisation, as Abnar & Zuidema do.
    auto a =
        probabilities.to(torch::kFloat).mean(1) + torch::eye(n, probabilities.options().dtype(torch::kFloat));
    a = a / a.sum(-1, true);
    rollout = rollout.defined() ? torch::matmul(a, rollout) : a;
  }
  const int64_t b = rollout.size(0);
  return rollout.select(1, 0)
      .narrow(1, maps.extra_tokens, maps.grid_h * maps.grid_w)
      .reshape({b, maps.grid_h, maps.grid_w});
}

torch::Tensor to_image_maps(const torch::Tensor& grid_maps, int64_t height, int64_t width) {
  namespace F = torch::nn::functional;
  auto maps =
      F::interpolate(grid_maps.to(torch::kFloat).unsqueeze(1), F::InterpolateFuncOptions()
                                                                   .size(std::vector<int64_t>{height, width})
                                                                   .mode(torch::kBilinear)
                                                                   .align_corners(false))
          .squeeze(1);
  const auto flat = maps.flatten(1);
  const auto low = std::get<0>(flat.min(1, true)).unsqueeze(-1);
  const auto range = std::get<0>(flat.max(1, true)).unsqueeze(-1) - low;
  // A constant map has nothing to show; it stays 0 rather than dividing noise by ~0.
  return torch::where(range > 1e-12, (maps - low) / range.clamp_min(1e-12), torch::zeros_like(maps));
}

HeatMaps explain_images(Model& model, const torch::Tensor& images, const torch::Tensor& classes,
                        ExplainMethod method) {
  model.eval();
  const auto input = images.to(torch::kFloat);
  HeatMaps out;
  torch::Tensor grid;
  if (method == ExplainMethod::smoothgrad_integrated_gradients) {
    const int64_t cell = model.input_cell();
    const SmoothGradSettings s;
    grid = patch_relevance(smoothgrad_integrated_gradients(model, input, classes, s), cell);
    out.layer =
        cat("the input, ", s.samples, " noisy copies (sd ", s.noise_level * 100, "% of the image's range), ",
            s.steps, " steps each from the mean colour, summed per ", cell, " x ", cell, " px cell");
  } else if (method == ExplainMethod::integrated_gradients) {
    const int64_t cell = model.input_cell();
    grid = patch_relevance(integrated_gradients(model, input, classes), cell);
    out.layer = cat("the input, ", kIntegratedGradientSteps, " steps from the mean colour, summed per ", cell,
                    " x ", cell, " px cell");
  } else if (method == ExplainMethod::gradient_rollout) {
    grid = gradient_rollout(model, input, classes);
    out.layer = "the token mixing of every block, cls row";
  } else if (method == ExplainMethod::grad_cam) {
    torch::AutoGradMode grad_on(true);
    const TokenMapForward f = model.forward_token_map(input);
    grid = grad_cam_grid(f, classes);
    out.layer = f.layer;
  } else {
    const AttentionMaps maps = model.attention_probabilities(input);
    grid = rollout_grid(maps);
    out.layer = cat("softmax attention of all ", maps.layers.size(), " blocks, cls row");
  }
  torch::NoGradGuard no_grad;
  out.maps = to_image_maps(grid.detach(), input.size(2), input.size(3)).cpu().contiguous();
  return out;
}

}  // namespace softvit
