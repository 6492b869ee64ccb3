#include "eval/evaluate.h"

#include <chrono>

namespace softvit {

EvalAccumulator::EvalAccumulator(int64_t classes)
    : num_classes(classes), confusion(torch::zeros({classes, classes}, torch::kInt64)) {}

void EvalAccumulator::add(const torch::Tensor& logits_in, const torch::Tensor& labels_in) {
  const auto logits = logits_in.detach().to(torch::kCPU, torch::kFloat32);
  const auto labels = labels_in.to(torch::kCPU);
  loss_sum += torch::nn::functional::cross_entropy(
                  logits, labels, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
                  .item<double>();
  const int64_t k = std::min<int64_t>(5, num_classes);
  const auto topk = std::get<1>(logits.topk(k, 1));
  const auto hits = topk.eq(labels.unsqueeze(1));
  correct1 += hits.select(1, 0).sum().item<int64_t>();
  correct5 += hits.any(1).sum().item<int64_t>();
  confusion.view(-1).index_add_(0, labels * num_classes + topk.select(1, 0),
                                torch::ones({labels.size(0)}, torch::kInt64));
  n += labels.size(0);
}

EvalResult EvalAccumulator::result() const {
  EvalResult r;
  r.n = n;
  if (n > 0) {
    r.loss = loss_sum / n;
    r.top1 = static_cast<double>(correct1) / n;
    r.top5 = static_cast<double>(correct5) / n;
  }
  r.top5_k = std::min<int64_t>(5, num_classes);
  r.confusion = confusion.clone();
  return r;
}

EvalResult evaluate(Model& model, BatchSource& loader, const torch::Device& device) {
  const auto start = std::chrono::steady_clock::now();
  const bool was_training = model.is_training();
  model.eval();
  torch::NoGradGuard no_grad;
  EvalAccumulator acc(model.num_classes());
  loader.start_epoch(0);
  while (auto batch = loader.next())
    acc.add(model.forward(batch->images.to(device, /*non_blocking=*/true)), batch->labels);
  model.train(was_training);
  EvalResult r = acc.result();
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace softvit
