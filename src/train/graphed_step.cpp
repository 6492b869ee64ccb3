#include "train/graphed_step.h"

#include <algorithm>
#include <mutex>
#include <optional>
#include <unordered_map>

#if __has_include(<ATen/cuda/CUDAGraph.h>) && __has_include(<cuda_runtime_api.h>) && \
    !defined(SOFTVIT_NO_CUDA_GRAPHS) && !defined(SOFTVIT_TORCH_CPU_ONLY)
#include <ATen/cuda/CUDAEvent.h>
#include <ATen/cuda/CUDAGeneratorImpl.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#define SOFTVIT_CUDA_GRAPHS 1
#endif

#include "core/error.h"
#include "core/strings.h"
#include "log/log.h"
#include "train/fused_adamw.h"
#include "train/optimizer.h"

namespace softvit {
namespace {

FusedAdamW* fused_adamw(torch::optim::Optimizer* optimizer) { return dynamic_cast<FusedAdamW*>(optimizer); }

// Empty when the step can be captured; otherwise why not.
std::string why_not_graphable(const StepParts& p) {
  if (p.accum_steps > 1) return cat("needs train.accum_steps 1 (it is ", p.accum_steps, ")");
  if (!fused_adamw(p.optimizer)) return "needs the fused AdamW (optim.name adamw, optim.fused true)";
  if (p.after_backward || p.before_forward || p.backward)
    return "does not capture the hooks of distributed training (gradient all-reduce)";
  if (!p.device.is_cuda()) return cat("needs a CUDA device (run.device is ", p.device.str(), ")");
#ifdef SOFTVIT_CUDA_GRAPHS
  return "";
#else
  return "this build of softvit has no CUDA graph support";
#endif
}

std::string shape_of(const torch::Tensor& t) {
  if (!t.defined()) return "none";
  std::string s = "[";
  for (int64_t i = 0; i < t.dim(); ++i) s += cat(i ? "," : "", t.size(i));
  return s + "]";
}

}  // namespace

#ifdef SOFTVIT_CUDA_GRAPHS

struct GraphedTrainStep::Graph {
  // Declared first, destroyed last: `loss` below lives in its memory pool.
  at::cuda::CUDAGraph graph;
  c10::DeviceIndex device = 0;
  torch::Tensor images, labels, targets;  // inputs each step copies into
  std::vector<torch::Tensor> lr;          // per parameter group, filled before each replay
  torch::Tensor loss;                     // written by each replay (the graph's pool)
  std::vector<const void*> addresses;     // of the tensors the graph uses, when captured
};

namespace {

bool same_shape(const torch::Tensor& a, const torch::Tensor& b) {
  if (a.defined() != b.defined()) return false;
  return !a.defined() || (a.sizes() == b.sizes() && a.scalar_type() == b.scalar_type());
}

// Where the tensors a captured step reads and writes live: parameters, gradients, buffers, EMA and
// optimizer state. A graph replays raw addresses, so any of them replaced (a checkpoint loaded,
// gradients set to none) means the graph must be captured again.
std::vector<const void*> graph_tensor_addresses(const StepParts& parts) {
  std::vector<const void*> out;
  auto add = [&](const torch::Tensor& t) { out.push_back(t.defined() ? t.data_ptr() : nullptr); };
  for (const auto& p : parts.model->parameters()) {
    add(p);
    add(p.grad());
  }
  for (const auto& b : parts.model->buffers()) add(b);
  if (parts.ema) {
    for (const auto& p : parts.ema->model().parameters()) add(p);
    for (const auto& b : parts.ema->model().buffers()) add(b);
  }
  for (const auto& group : parts.optimizer->param_groups())
    for (const auto& p : group.params()) {
      const auto found = parts.optimizer->state().find(p.unsafeGetTensorImpl());
      if (found == parts.optimizer->state().end()) continue;
      const auto& adamw = static_cast<const torch::optim::AdamWParamState&>(*found->second);
      add(adamw.exp_avg());
      add(adamw.exp_avg_sq());
    }
  return out;
}

// What the warm-up steps change (weights, buffers, EMA, optimizer state), copied beforehand so
// that it can be put back in place: the tensors keep their identity, which the graph relies on.
class StateSnapshot {
 public:
  explicit StateSnapshot(const StepParts& parts) : parts_(parts) {
    torch::NoGradGuard no_grad;
    keep(parts.model->parameters());
    keep(parts.model->buffers());
    if (parts.ema) {
      keep(parts.ema->model().parameters());
      keep(parts.ema->model().buffers());
    }
    for (auto& [key, state] : parts.optimizer->state()) {
      const auto& adamw = static_cast<const torch::optim::AdamWParamState&>(*state);
      moments_[key] = {adamw.exp_avg().clone(), adamw.exp_avg_sq().clone(), adamw.step()};
    }
  }

  void restore() {
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < live_.size(); ++i) live_[i].copy_(saved_[i]);
    // By key, through the state as it is now: a step may have replaced a moment tensor.
    for (auto& [key, state] : parts_.optimizer->state()) {
      auto& adamw = static_cast<torch::optim::AdamWParamState&>(*state);
      const auto found = moments_.find(key);
      if (found != moments_.end()) {
        adamw.exp_avg().copy_(found->second.exp_avg);
        adamw.exp_avg_sq().copy_(found->second.exp_avg_sq);
        adamw.step(found->second.step);
      } else {  // made by the warm-up: back to what a first step starts from
        adamw.exp_avg().zero_();
        adamw.exp_avg_sq().zero_();
        adamw.step(0);
      }
    }
    fused_adamw(parts_.optimizer)->reset_step_counters();
  }

 private:
  struct Moments {
    torch::Tensor exp_avg, exp_avg_sq;
    int64_t step = 0;
  };

  void keep(const std::vector<torch::Tensor>& tensors) {
    for (const auto& t : tensors) {
      if (!t.defined()) continue;
      live_.push_back(t);
      saved_.push_back(t.detach().clone());
    }
  }

  const StepParts& parts_;
  std::vector<torch::Tensor> live_, saved_;
  std::unordered_map<void*, Moments> moments_;
};

// `waiter` runs its later work only after what `producer` has queued so far.
void wait_for(const c10::cuda::CUDAStream& waiter, const c10::cuda::CUDAStream& producer) {
  at::cuda::CUDAEvent event;
  event.record(producer);
  event.block(waiter);
}

}  // namespace

void GraphedTrainStep::capture(const Batch& batch) {
  const StepParts& parts = eager_.parts();
  auto* adamw = fused_adamw(parts.optimizer);
  const auto device = parts.device.has_index() ? parts.device.index() : c10::cuda::current_device();
  c10::cuda::CUDAGuard device_guard(device);
  auto g = std::make_unique<Graph>();
  g->device = device;
  const auto current = c10::cuda::getCurrentCUDAStream(g->device);
  const auto side = c10::cuda::getStreamFromPool(/*isHighPriority=*/false, g->device);

  g->images = step_ops::device_images(parts, batch.images).clone();
  g->labels = batch.labels.to(parts.device, /*non_blocking=*/true).clone();
  if (batch.targets.defined()) g->targets = batch.targets.to(parts.device, true).clone();
  for (const auto& group : parts.optimizer->param_groups())
    g->lr.push_back(
        torch::full({}, group.options().get_lr(), torch::TensorOptions(parts.device).dtype(torch::kFloat)));

  // The graphed step, as plain calls; gradients stay allocated and are zeroed in place.
  auto step = [&](bool count_on_host) {
    step_ops::zero_gradients_in_place(*parts.model);
    auto loss = step_ops::forward_loss(parts, g->images, g->labels, g->targets, /*autocast_cache=*/false);
    loss.backward();
    step_ops::clip_gradients(parts);
    adamw->step_with_lr_tensors(g->lr, count_on_host);
    step_ops::update_ema(parts);
    return loss.detach();
  };

  // Warm-up on the side stream that will capture, then undo it.
  auto snapshot = std::make_unique<StateSnapshot>(parts);
  at::Generator generator = at::cuda::detail::getDefaultCUDAGenerator(g->device);  // a handle
  torch::Tensor rng_state;
  {
    std::lock_guard<std::mutex> lock(generator.mutex());
    rng_state = generator.get_state();
  }
  wait_for(side, current);
  {
    c10::cuda::CUDAStreamGuard on_side(side);
    for (int i = 0; i < warmup_steps_; ++i) step(/*count_on_host=*/true);
  }
  wait_for(current, side);
  snapshot->restore();
  snapshot.reset();  // its copies are not needed while capturing
  {
    std::lock_guard<std::mutex> lock(generator.mutex());
    generator.set_state(rng_state);
  }
  // Once, before capturing: nothing of the warm-up in flight, and its cached activations given
  // back, as the graph's own pool will hold a step's activations from now on.
  c10::cuda::device_synchronize();
  c10::cuda::CUDACachingAllocator::emptyCache();

  // Capture. Thread-local mode: the loader's threads may pin memory meanwhile, which global mode
  // would count as an unsafe call and so invalidate the capture.
  g->graph.register_generator_state(generator);  // dropout / drop-path offsets advance per replay
  wait_for(side, current);
  {
    c10::cuda::CUDAStreamGuard on_side(side);
    g->graph.capture_begin({0, 0}, cudaStreamCaptureModeThreadLocal);
    try {
      g->loss = step(/*count_on_host=*/false);
      g->graph.capture_end();
    } catch (...) {
      try {
        g->graph.capture_end();  // leave capture mode; the graph is invalid anyway
      } catch (...) {
      }
      throw;
    }
  }
  wait_for(current, side);
  g->addresses = graph_tensor_addresses(parts);
  graph_ = std::move(g);
  ++captures_;
  log::info(cat("train.cuda_graph: captured the training step for batches of ", shape_of(graph_->images),
                " after ", warmup_steps_, " warm-up steps (undone)"));
}

torch::Tensor GraphedTrainStep::replay(const Batch& batch, double lr) {
  c10::cuda::CUDAGuard device_guard(graph_->device);
  graph_->images.copy_(batch.images, /*non_blocking=*/true);
  graph_->labels.copy_(batch.labels, /*non_blocking=*/true);
  if (graph_->targets.defined()) graph_->targets.copy_(batch.targets, /*non_blocking=*/true);
  for (auto& t : graph_->lr) t.fill_(lr);
  graph_->graph.replay();
  auto& optimizer = *eager_.parts().optimizer;
  fused_adamw(&optimizer)->count_replayed_step();
  set_learning_rate(optimizer, lr);  // the host copy, for checkpoints
  ++replays_;
  return graph_->loss.clone();  // the next replay overwrites graph_->loss
}

bool GraphedTrainStep::still_valid() const {
  return graph_tensor_addresses(eager_.parts()) == graph_->addresses;
}

bool GraphedTrainStep::fits(const Batch& batch) const {
  return same_shape(batch.images, graph_->images) && same_shape(batch.labels, graph_->labels) &&
         same_shape(batch.targets, graph_->targets);
}

#else  // no CUDA graphs in this build: the constructor has fallen back already

struct GraphedTrainStep::Graph {
  torch::Tensor images;
};
void GraphedTrainStep::capture(const Batch&) {
  throw TrainError("CUDA graphs are not available in this build");
}
torch::Tensor GraphedTrainStep::replay(const Batch&, double) { return {}; }
bool GraphedTrainStep::fits(const Batch&) const { return false; }
bool GraphedTrainStep::still_valid() const { return false; }

#endif

GraphedTrainStep::GraphedTrainStep(StepParts parts, int warmup_steps)
    : warmup_steps_(std::max(1, warmup_steps)), eager_(std::move(parts), /*keep_gradients=*/true) {
  const auto reason = why_not_graphable(eager_.parts());
  if (!reason.empty()) fall_back(reason);
}

GraphedTrainStep::~GraphedTrainStep() = default;

std::string GraphedTrainStep::kind() const { return fallback_reason_.empty() ? "cuda_graph" : "eager"; }

void GraphedTrainStep::fall_back(const std::string& reason) {
  fallback_reason_ = reason;
  log::warn(cat("train.cuda_graph: ", reason, "; training steps run eagerly"));
}

torch::Tensor GraphedTrainStep::run(const Batch& batch, double lr) {
  if (graph_ && fits(batch) && !still_valid()) {
    log::info(
        "train.cuda_graph: tensors the graph uses were replaced (a checkpoint loaded, or gradients "
        "released); capturing the step again");
    graph_.reset();
  }
  if (fallback_reason_.empty() && !graph_) {
    try {
      capture(batch);
    } catch (const c10::OutOfMemoryError&) {
      throw;
    } catch (const std::exception& e) {
      throw TrainError(cat("train.cuda_graph: capturing the training step failed: ", e.what(),
                           " (train with train.cuda_graph=false)"));
    }
  }
  if (!fallback_reason_.empty()) {
    ++eager_steps_;
    return eager_.run(batch, lr);
  }
  if (!fits(batch)) {
    if (!warned_shape_)
      log::info(cat("train.cuda_graph: a batch of ", shape_of(batch.images), " differs from the captured ",
                    shape_of(graph_->images), "; such batches run eagerly"));
    warned_shape_ = true;
    ++eager_steps_;
    return eager_.run(batch, lr);
  }
  return replay(batch, lr);
}

std::unique_ptr<TrainStep> make_train_step(const StepParts& parts, bool cuda_graph) {
  if (cuda_graph) return std::make_unique<GraphedTrainStep>(parts);
  return std::make_unique<EagerTrainStep>(parts);
}

}  // namespace softvit
