#include "eval/evaluate.h"

#include <algorithm>
#include <chrono>

#include "core/error.h"
#include "core/strings.h"
#include "eval/metrics_roc.h"
#include "eval/metrics_topk.h"

namespace softvit {
namespace {

std::string shape(const torch::Tensor& t) { return cat(t.sizes()); }

template <typename T>
void append(std::vector<T>& out, const torch::Tensor& t) {
  const auto c = t.contiguous();
  out.insert(out.end(), c.data_ptr<T>(), c.data_ptr<T>() + c.numel());
}

}  // namespace

EvalAccumulator::EvalAccumulator(int64_t classes) : num_classes(classes) {}

void EvalAccumulator::add(const torch::Tensor& logits_in, const torch::Tensor& labels_in,
                          const std::vector<std::string>& row_names) {
  const auto logits = logits_in.detach().to(torch::kCPU, torch::kFloat32);
  const auto labels_cpu = labels_in.to(torch::kCPU);
  const int64_t batch = logits.dim() == 2 ? logits.size(0) : -1;
  if (logits.dim() != 2 || logits.size(1) != num_classes)
    throw Error(cat("evaluation: logits of shape ", shape(logits), ", expected batch x ", num_classes));
  const bool multi = labels_cpu.dim() == 2;
  if (labels_cpu.dim() < 1 || labels_cpu.dim() > 2 || labels_cpu.size(0) != batch ||
      (multi && labels_cpu.size(1) != num_classes))
    throw Error(
        cat("evaluation: labels of shape ", shape(labels_cpu), " for logits of shape ", shape(logits)));
  if (multi_label && *multi_label != multi)
    throw Error("evaluation: a batch of multi-label targets mixed with single-label batches");
  multi_label = multi;

  namespace F = torch::nn::functional;
  if (multi) {
    const auto target = labels_cpu.to(torch::kFloat32);
    loss_sum += F::binary_cross_entropy_with_logits(
                    logits, target, F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kSum))
                    .item<double>();
    append<float>(probabilities, torch::sigmoid(logits));
    append<float>(targets, target);
  } else {
    const auto label = labels_cpu.to(torch::kInt64);
    loss_sum +=
        F::cross_entropy(logits, label, F::CrossEntropyFuncOptions().reduction(torch::kSum)).item<double>();
    append<float>(probabilities, torch::softmax(logits, 1));
    append<int64_t>(labels, label);
  }
  n += batch;
  every_row_named = every_row_named && static_cast<int64_t>(row_names.size()) == batch;
  if (every_row_named) names.insert(names.end(), row_names.begin(), row_names.end());
}

EvalResult EvalAccumulator::result(const EvalOptions& options) const {
  EvalResult r;
  r.n = n;
  r.multi_label = multi_label.value_or(false);
  r.top5_k = std::min<int64_t>(5, num_classes);
  r.probabilities.rows = n;
  r.probabilities.cols = num_classes;
  r.probabilities.values = probabilities;
  if (every_row_named) r.names = names;
  if (r.multi_label) {
    r.targets = ScoreMatrix(n, num_classes);
    r.targets.values = targets;
    if (n > 0) {
      r.loss = loss_sum / (n * num_classes);
      // Labels right at the threshold: what "top-1" ranks epochs by for multi-label runs.
      int64_t right = 0;
      for (size_t i = 0; i < targets.size(); ++i)
        right += (probabilities[i] >= options.metrics.threshold) == (targets[i] >= 0.5f);
      r.top1 = static_cast<double>(right) / static_cast<double>(targets.size());
    }
    if (options.full_metrics)
      r.metrics = multilabel_metrics(r.probabilities, r.targets, options.class_names, options.metrics);
    return r;
  }
  r.labels = labels;
  if (n > 0) {
    r.loss = loss_sum / n;
    r.top1 = top_k_accuracy(r.probabilities, labels, 1);
    r.top5 = top_k_accuracy(r.probabilities, labels, r.top5_k);
  }
  r.confusion = confusion_matrix(labels, argmax_rows(r.probabilities), num_classes);
  if (options.full_metrics)
    r.metrics = classification_metrics(r.probabilities, labels, options.class_names, options.metrics);
  return r;
}

std::optional<double> macro_auroc(const EvalResult& result) {
  const auto problems = result.multi_label ? per_label(result.probabilities, result.targets)
                                           : one_vs_rest(result.probabilities, result.labels);
  return mean_of_defined(aucs(problems));
}

EvalResult evaluate(Model& model, BatchSource& loader, const torch::Device& device,
                    const EvalOptions& options) {
  return std::move(evaluate(std::vector<Model*>{&model}, loader, device, options).front());
}

std::vector<EvalResult> evaluate(const std::vector<Model*>& models, BatchSource& loader,
                                 const torch::Device& device, const EvalOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<bool> was_training;
  std::vector<EvalAccumulator> accs;
  for (Model* model : models) {
    was_training.push_back(model->is_training());
    model->eval();
    accs.emplace_back(model->num_classes());
  }
  std::vector<std::pair<int64_t, int64_t>> sizes;
  {
    torch::NoGradGuard no_grad;
    loader.start_epoch(0);
    while (auto batch = loader.next()) {
      const bool multi_label = batch->labels.dim() == 2;
      const auto images = batch->images.to(device, /*non_blocking=*/true);
      for (size_t m = 0; m < models.size(); ++m)
        accs[m].add(predict_logits(*models[m], images, options.tta, multi_label), batch->labels,
                    batch->names);
      const std::pair<int64_t, int64_t> size{batch->images.size(2), batch->images.size(3)};
      if (std::find(sizes.begin(), sizes.end(), size) == sizes.end()) sizes.push_back(size);
      if (options.on_batch) options.on_batch(batch->labels.size(0));
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::vector<EvalResult> results;
  for (size_t m = 0; m < models.size(); ++m) {
    models[m]->train(was_training[m]);
    results.push_back(accs[m].result(options));
    results.back().input_sizes = sizes;
    results.back().seconds = seconds;  // of the shared pass
  }
  return results;
}

}  // namespace softvit
