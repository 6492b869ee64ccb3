// Epoch orders: permutations, class balance, repeated augmentation and rank sharding.
#include <map>
#include <numeric>
#include <set>

#include "data/sampler.h"
#include "data/sources/synthetic_source.h"
#include "data_test_util.h"

using namespace softvit;

namespace {

std::vector<int64_t> indices(const std::vector<EpochEntry>& e) {
  std::vector<int64_t> out;
  for (const auto& x : e) out.push_back(x.index);
  return out;
}

// Labels 0 for the first 90 samples, 1 for the last 10.
class Skewed : public Source {
 public:
  int64_t size() const override { return 100; }
  const std::vector<std::string>& classes() const override { return classes_; }
  int64_t label(int64_t i) const override { return i < 90 ? 0 : 1; }
  RawImage load(int64_t) const override { return {}; }

 private:
  std::vector<std::string> classes_ = {"common", "rare"};
};

}  // namespace

TEST_CASE("sampler: sequential and random orders are permutations fixed by seed and epoch",
          "[data][sampler]") {
  const SyntheticSource source(23, 4, 3, 1, "train");
  SamplerOptions o;
  auto seq = indices(epoch_order(source, o, 0));
  std::vector<int64_t> all(23);
  std::iota(all.begin(), all.end(), 0);
  CHECK(seq == all);
  o.kind = "random";
  o.seed = 5;
  auto a = indices(epoch_order(source, o, 1));
  CHECK(a == indices(epoch_order(source, o, 1)));
  CHECK(a != indices(epoch_order(source, o, 2)));
  CHECK(a != all);
  std::sort(a.begin(), a.end());
  CHECK(a == all);
}

TEST_CASE("sampler: ranks get disjoint shares that cover the data with DistributedSampler padding",
          "[data][sampler]") {
  const SyntheticSource source(23, 4, 3, 1, "train");
  for (const std::string kind : {"sequential", "random"}) {
    for (int world : {1, 2, 3, 4, 8}) {
      SamplerOptions o;
      o.kind = kind;
      o.seed = 9;
      o.world_size = world;
      std::multiset<int64_t> seen;
      std::set<int64_t> positions;
      const size_t per_rank = (23 + world - 1) / world;
      for (int r = 0; r < world; ++r) {
        o.rank = r;
        const auto part = epoch_order(source, o, 3);
        CHECK(part.size() == per_rank);
        for (const auto& e : part) {
          seen.insert(e.index);
          CHECK(positions.insert(e.position).second);  // each position dealt to exactly one rank
          CHECK(e.position % world == r);
        }
      }
      INFO(kind << " world " << world);
      std::set<int64_t> distinct(seen.begin(), seen.end());
      CHECK(distinct.size() == 23);            // complete
      CHECK(seen.size() == per_rank * world);  // padded to equal shares
    }
  }
  SamplerOptions bad;
  bad.world_size = 2;
  bad.rank = 2;
  CHECK_THROWS(epoch_order(source, bad, 0));
}

TEST_CASE("sampler: balanced draws each class about equally often", "[data][sampler]") {
  const Skewed source;
  SamplerOptions o;
  o.kind = "balanced";
  int rare = 0, total = 0;
  for (int epoch = 0; epoch < 20; ++epoch)
    for (int64_t i : indices(epoch_order(source, o, epoch))) {
      rare += source.label(i);
      ++total;
    }
  CHECK(total == 2000);
  CHECK(rare > 900);  // about half, although only 10% of the samples are rare
  CHECK(rare < 1100);
}

TEST_CASE("sampler: repeated augmentation spreads each sample's copies over the ranks", "[data][sampler]") {
  const SyntheticSource source(30, 4, 3, 1, "train");
  SamplerOptions o;
  o.kind = "repeated";
  o.repeats = 3;
  o.world_size = 3;
  o.seed = 1;
  std::map<int64_t, std::set<int>> ranks_of;
  std::set<int64_t> positions;
  for (int r = 0; r < 3; ++r) {
    o.rank = r;
    const auto part = epoch_order(source, o, 0);
    CHECK(part.size() == 10);  // ceil(30 / 3): an epoch keeps its usual length
    for (const auto& e : part) {
      ranks_of[e.index].insert(r);
      CHECK(positions.insert(e.position).second);
    }
  }
  // The first 30 positions of the full order hold 10 samples, three copies each, one per rank.
  CHECK(ranks_of.size() == 10);
  for (const auto& [index, ranks] : ranks_of) CHECK(ranks.size() == 3);
}
