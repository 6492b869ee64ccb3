#include "data/sources/holdout_source.h"

#include <algorithm>
#include <cmath>

#include "data/rng.h"

namespace softvit {
namespace {

// The samples `indices` of `base`, renumbered 0..n-1; images keep the base's names.
class SubsetSource : public Source {
 public:
  SubsetSource(SourcePtr base, std::vector<int64_t> indices, bool with_problems)
      : base_(std::move(base)), indices_(std::move(indices)) {
    if (with_problems) problems_ = base_->problems();
  }
  int64_t size() const override { return static_cast<int64_t>(indices_.size()); }
  const std::vector<std::string>& classes() const override { return base_->classes(); }
  bool multi_label() const override { return base_->multi_label(); }
  int64_t label(int64_t i) const override { return base_->label(at(i)); }
  std::vector<uint8_t> labels(int64_t i) const override { return base_->labels(at(i)); }
  int native_channels() const override { return base_->native_channels(); }
  RawImage load(int64_t i) const override { return base_->load(at(i)); }

 private:
  int64_t at(int64_t i) const { return indices_[static_cast<size_t>(i)]; }
  SourcePtr base_;
  std::vector<int64_t> indices_;
};

}  // namespace

std::vector<int64_t> stratified_holdout(const Source& source, double fraction, uint64_t seed) {
  const bool by_class = !source.multi_label();
  std::vector<std::vector<int64_t>> groups(by_class ? source.classes().size() : 1);
  for (int64_t i = 0; i < source.size(); ++i)
    groups[by_class ? static_cast<size_t>(source.label(i)) : 0].push_back(i);
  std::vector<int64_t> held;
  for (size_t g = 0; g < groups.size(); ++g) {
    auto& members = groups[g];
    const auto count = static_cast<int64_t>(members.size());
    if (count < 2) continue;
    const int64_t take =
        std::clamp<int64_t>(std::llround(fraction * static_cast<double>(count)), 1, count - 1);
    Rng rng(Rng::key({seed, static_cast<uint64_t>(g), 0x401d07ULL}));
    for (int64_t i = 0; i < take; ++i)  // the first `take` of a Fisher-Yates shuffle
      std::swap(members[static_cast<size_t>(i)], members[static_cast<size_t>(i + rng.below(count - i))]);
    held.insert(held.end(), members.begin(), members.begin() + take);
  }
  std::sort(held.begin(), held.end());
  return held;
}

SourcePtr holdout_part(const SourcePtr& whole, double fraction, uint64_t seed, bool held_out, int64_t limit) {
  const std::vector<int64_t> held = stratified_holdout(*whole, fraction, seed);
  std::vector<int64_t> part;
  if (held_out) {
    part = held;
  } else {
    size_t next = 0;
    for (int64_t i = 0; i < whole->size(); ++i) {
      if (next < held.size() && held[next] == i)
        ++next;
      else
        part.push_back(i);
    }
  }
  if (limit > 0 && limit < static_cast<int64_t>(part.size())) part.resize(static_cast<size_t>(limit));
  return std::make_shared<SubsetSource>(whole, std::move(part), !held_out);
}

}  // namespace softvit
