// SyncBatchNorm2d: alone it is BatchNorm2d; two "processes" (threads summing through a shared
// rendezvous, as an all-reduce would) normalise and differentiate their halves exactly as one
// BatchNorm2d does the whole batch.
#include <condition_variable>
#include <mutex>
#include <thread>

#include "catch.h"
#include "models/sync_batch_norm.h"

using namespace softvit;

namespace {

// An all-reduce between two threads: each call returns the sum of both threads' tensors.
class TwoPartySum {
 public:
  torch::Tensor operator()(const torch::Tensor& t) {
    std::unique_lock<std::mutex> lock(mutex_);
    const int generation = generation_;
    acc_ = arrived_ == 0 ? t.clone() : acc_ + t;
    if (++arrived_ == 2) {
      result_ = acc_;
      arrived_ = 0;
      ++generation_;
      changed_.notify_all();
    } else {
      changed_.wait(lock, [&] { return generation_ != generation; });
    }
    return result_.clone();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  torch::Tensor acc_, result_;
  int arrived_ = 0, generation_ = 0;
};

// fp64 BatchNorm2d with an affine transform away from the identity (1, 0), so that errors in the
// weight or bias paths show.
torch::nn::BatchNorm2d reference_bn(int64_t c) {
  torch::nn::BatchNorm2d bn(c);
  bn->to(torch::kFloat64);
  torch::NoGradGuard no_grad;
  bn->weight.uniform_(0.5, 1.5);
  bn->bias.uniform_(-0.5, 0.5);
  return bn;
}

SyncBatchNorm2d sync_bn(int64_t c, const torch::nn::BatchNorm2d& like) {
  SyncBatchNorm2d bn(c);
  bn->to(torch::kFloat64);
  torch::NoGradGuard no_grad;
  bn->weight.copy_(like->weight);
  bn->bias.copy_(like->bias);
  return bn;
}

}  // namespace

TEST_CASE("sync batch norm: alone it equals BatchNorm2d in training and eval", "[models][syncbn]") {
  torch::manual_seed(1);
  auto ref = reference_bn(3);
  auto bn = sync_bn(3, ref);
  CHECK(sync_batch_norms(*bn, [](const torch::Tensor& t) { return t; }) == 1);  // one process
  for (int step = 0; step < 2; ++step) {
    const auto x = (torch::randn({4, 3, 5, 6}, torch::kFloat64) * 2 + 1).requires_grad_();
    const auto x2 = x.detach().clone().requires_grad_();
    const auto g = torch::randn({4, 3, 5, 6}, torch::kFloat64);
    const auto y_ref = ref->forward(x), y = bn->forward(x2);
    CHECK(torch::allclose(y, y_ref, 1e-10, 1e-10));
    (y_ref * g).sum().backward();
    (y * g).sum().backward();
    CHECK(torch::allclose(x2.grad(), x.grad(), 1e-9, 1e-10));
    CHECK(torch::allclose(bn->weight.grad(), ref->weight.grad(), 1e-9, 1e-10));
    CHECK(torch::allclose(bn->bias.grad(), ref->bias.grad(), 1e-9, 1e-10));
    CHECK(torch::allclose(bn->running_mean, ref->running_mean, 1e-10, 1e-12));
    CHECK(torch::allclose(bn->running_var, ref->running_var, 1e-10, 1e-12));
  }
  CHECK(bn->num_batches_tracked.item<int64_t>() == 2);
  bn->eval();
  ref->eval();
  const auto x = torch::randn({2, 3, 4, 4}, torch::kFloat64);
  CHECK(torch::allclose(bn->forward(x), ref->forward(x), 1e-10, 1e-10));
}

TEST_CASE("sync batch norm: two processes with half batches equal one with the whole", "[models][syncbn]") {
  torch::manual_seed(2);
  auto ref = reference_bn(4);
  // Halves with different statistics: per-process normalisation would differ visibly.
  const auto xa = torch::randn({3, 4, 5, 5}, torch::kFloat64) * 3 + 2;
  const auto xb = torch::randn({3, 4, 5, 5}, torch::kFloat64) * 0.5 - 1;
  const auto ga = torch::randn_like(xa), gb = torch::randn_like(xb);

  const auto x = torch::cat({xa, xb}).requires_grad_();
  const auto y = ref->forward(x);
  (y * torch::cat({ga, gb})).sum().backward();

  TwoPartySum all_reduce;
  auto sum = [&](const torch::Tensor& t) { return all_reduce(t); };
  SyncBatchNorm2d bn_a = sync_bn(4, ref), bn_b = sync_bn(4, ref);
  sync_batch_norms(*bn_a, sum);
  sync_batch_norms(*bn_b, sum);
  struct Rank {
    torch::Tensor x, y;
  } a{xa.clone().requires_grad_(), {}}, b{xb.clone().requires_grad_(), {}};
  auto run = [](SyncBatchNorm2d& bn, Rank& r, const torch::Tensor& g) {
    r.y = bn->forward(r.x);
    (r.y * g).sum().backward();
  };
  std::thread ta([&] { run(bn_a, a, ga); }), tb([&] { run(bn_b, b, gb); });
  ta.join();
  tb.join();

  CHECK(torch::allclose(torch::cat({a.y, b.y}), y, 1e-10, 1e-10));
  CHECK(torch::allclose(torch::cat({a.x.grad(), b.x.grad()}), x.grad(), 1e-9, 1e-10));
  // Each process's parameter gradient is its share; the sum over processes is the whole's.
  CHECK(torch::allclose(bn_a->weight.grad() + bn_b->weight.grad(), ref->weight.grad(), 1e-9, 1e-10));
  CHECK(torch::allclose(bn_a->bias.grad() + bn_b->bias.grad(), ref->bias.grad(), 1e-9, 1e-10));
  CHECK(torch::allclose(bn_a->running_mean, ref->running_mean, 1e-10, 1e-12));
  CHECK(torch::allclose(bn_b->running_var, ref->running_var, 1e-10, 1e-12));
  // Without the sum, process a would normalise by its own half's statistics.
  auto alone = sync_bn(4, ref);
  CHECK_FALSE(torch::allclose(alone->forward(xa), a.y, 1e-3, 1e-3));
}
