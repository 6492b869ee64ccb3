// seqnorm and SimA: the reordered products against the explicit n x n forms, in float64, with
// the normalisations written out independently.
#include "catch.h"
#include "models/attention/seqnorm.h"
#include "models/attention/sima.h"

using namespace softvit;

namespace {

const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);

double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

// qkv output split into three B x heads x N x d_h tensors.
std::vector<torch::Tensor> split_qkv(const torch::Tensor& qkv, int64_t heads) {
  const auto b = qkv.size(0), n = qkv.size(1), c = qkv.size(2) / 3;
  auto t = qkv.reshape({b, n, 3, heads, c / heads}).permute({2, 0, 3, 1, 4});
  return {t[0], t[1], t[2]};
}

}  // namespace

TEST_CASE("seqnorm: (1/n) Q~ (K~^T V~) equals the explicit (Q~ K~^T) V~ / n", "[models][seqnorm]") {
  torch::manual_seed(0);
  const int64_t dim = 16, heads = 2, d = 8, gh = 3, gw = 4, n = 1 + gh * gw;  // one cls token
  for (const std::string stat : {"standardise", "l2"})
    for (bool with_cls : {true, false}) {
      CAPTURE(stat, with_cls);
      AttentionOptions o;
      o.dim = dim;
      o.num_heads = heads;
      o.seqnorm_stat = stat;
      o.seqnorm_eps = 1e-5;
      o.seqnorm_cls = with_cls;
      SeqNormAttention attn(o);
      attn.to(torch::kFloat64);
      {
        torch::NoGradGuard no_grad;  // a non-trivial affine
        for (auto* norm : {attn.q_norm.get(), attn.k_norm.get(), attn.v_norm.get()}) {
          norm->weight.uniform_(0.5, 1.5);
          norm->bias.uniform_(-0.5, 0.5);
        }
      }
      const auto x = torch::randn({2, n, dim}, f64) * 2 + 0.5;
      const auto y = attn.forward(x, gh, gw);

      torch::NoGradGuard no_grad;
      auto parts = split_qkv(attn.qkv->forward(x), heads);
      auto normalise = [&](const torch::Tensor& t, const SequenceNorm& norm) {
        // Statistics per (sample, head, channel) over the chosen tokens, written out as sums.
        const auto stats = with_cls ? t : t.narrow(2, 1, n - 1);
        const double count = static_cast<double>(stats.size(2));
        torch::Tensor z;
        if (stat == "standardise") {
          const auto mean = stats.sum(2, true) / count;
          const auto var = (stats - mean).square().sum(2, true) / count;
          z = (t - mean) / torch::sqrt(var + 1e-5);
        } else {
          z = t / torch::sqrt(stats.square().sum(2, true) / count + 1e-5);
        }
        return z * norm.weight + norm.bias;  // weight: heads x 1 x d
      };
      const auto q = normalise(parts[0], *attn.q_norm);
      const auto k = normalise(parts[1], *attn.k_norm);
      const auto v = normalise(parts[2], *attn.v_norm);
      const auto scores = torch::matmul(q, k.transpose(-2, -1));  // n x n
      const auto out = torch::matmul(scores, v) / static_cast<double>(n);
      const auto reference = attn.proj->forward(out.transpose(1, 2).reshape({2, n, dim}));
      CHECK(max_abs_diff(y, reference) < 1e-10);
      CHECK(q.size(-1) == d);
    }
}

TEST_CASE("seqnorm: bad statistic or eps are configuration errors", "[models][seqnorm]") {
  AttentionOptions o;
  o.dim = 16;
  o.num_heads = 2;
  o.seqnorm_stat = "layernorm";
  CHECK_THROWS_WITH(SeqNormAttention(o), Catch::Contains("layernorm"));
  o.seqnorm_stat = "l2";
  o.seqnorm_eps = 0;
  CHECK_THROWS_WITH(SeqNormAttention(o), Catch::Contains("eps"));
}

TEST_CASE("sima: both product orders equal the explicit (Q^ K^^T) V", "[models][sima]") {
  torch::manual_seed(1);
  const int64_t dim = 16, heads = 2;  // d_h = 8
  AttentionOptions o;
  o.dim = dim;
  o.num_heads = heads;
  SimaAttention attn(o);
  attn.to(torch::kFloat64);
  for (int64_t n : {5, 20}) {  // n < d_h uses (Q^ K^^T) V, n >= d_h uses Q^ (K^^T V)
    CAPTURE(n);
    const auto x = torch::randn({2, n, dim}, f64);
    const auto y = attn.forward(x, 1, n);
    torch::NoGradGuard no_grad;
    auto parts = split_qkv(attn.qkv->forward(x), heads);
    // L1 norm over the tokens, per head and channel, as an explicit sum of absolute values.
    const auto q = parts[0] / parts[0].abs().sum(2, true);
    const auto k = parts[1] / parts[1].abs().sum(2, true);
    const auto out = torch::matmul(torch::matmul(q, k.transpose(-2, -1)), parts[2]);
    const auto reference = attn.proj->forward(out.transpose(1, 2).reshape({2, n, dim}));
    CHECK(max_abs_diff(y, reference) < 1e-12);
  }
}
