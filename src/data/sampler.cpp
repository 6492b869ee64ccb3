#include "data/sampler.h"

#include "core/error.h"
#include "core/strings.h"
#include "data/rng.h"

namespace softvit {
namespace {

std::vector<int64_t> permutation(int64_t n, Rng& rng) {
  std::vector<int64_t> p(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) p[static_cast<size_t>(i)] = i;
  for (int64_t i = n - 1; i > 0; --i)
    std::swap(p[static_cast<size_t>(i)], p[static_cast<size_t>(rng.below(i + 1))]);
  return p;
}

std::vector<int64_t> balanced(const Source& source, Rng& rng) {
  if (source.multi_label()) throw ConfigError("data.sampler: balanced needs single-label data");
  std::vector<std::vector<int64_t>> by_class(source.classes().size());
  for (int64_t i = 0; i < source.size(); ++i) by_class[static_cast<size_t>(source.label(i))].push_back(i);
  std::vector<size_t> present;
  for (size_t c = 0; c < by_class.size(); ++c)
    if (!by_class[c].empty()) present.push_back(c);
  std::vector<int64_t> order;
  for (int64_t i = 0; i < source.size(); ++i) {
    const auto& members =
        by_class[present[static_cast<size_t>(rng.below(static_cast<int64_t>(present.size())))]];
    order.push_back(members[static_cast<size_t>(rng.below(static_cast<int64_t>(members.size())))]);
  }
  return order;
}

}  // namespace

std::vector<EpochEntry> epoch_order(const Source& source, const SamplerOptions& o, int64_t epoch) {
  if (o.world_size < 1 || o.rank < 0 || o.rank >= o.world_size)
    throw ConfigError(cat("rank ", o.rank, " is not within world size ", o.world_size));
  const int64_t n = source.size();
  std::vector<EpochEntry> mine;
  if (n == 0) return mine;
  Rng rng(Rng::key({o.seed, static_cast<uint64_t>(epoch), 0x5a3b1eULL}));
  std::vector<int64_t> order;
  if (o.kind == "sequential") {
    for (int64_t i = 0; i < n; ++i) order.push_back(i);
  } else if (o.kind == "random") {
    order = permutation(n, rng);
  } else if (o.kind == "balanced") {
    order = balanced(source, rng);
  } else if (o.kind == "repeated") {
    for (int64_t i : permutation(n, rng))
      for (int r = 0; r < o.repeats; ++r) order.push_back(i);
  } else {
    throw ConfigError(cat("unknown sampler '", o.kind, "'"));
  }
  const int64_t world = o.world_size, unpadded = static_cast<int64_t>(order.size());
  const int64_t total = (unpadded + world - 1) / world * world;
  for (int64_t p = unpadded; p < total; ++p)
    order.push_back(order[static_cast<size_t>((p - unpadded) % unpadded)]);
  for (int64_t p = o.rank; p < total; p += world) mine.push_back({p, order[static_cast<size_t>(p)]});
  if (o.kind == "repeated")
    mine.resize(static_cast<size_t>(std::min<int64_t>((n + world - 1) / world, mine.size())));
  return mine;
}

}  // namespace softvit
