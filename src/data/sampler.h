// The order of one epoch for one rank. The full order is computed for all ranks from (seed,
// epoch) alone, padded to a multiple of world_size by repeating its start and dealt round-robin,
// as PyTorch's DistributedSampler does: ranks get disjoint parts that together cover every
// sample. Each entry keeps its position in the full order, which seeds the sample's
// augmentation, so results depend neither on the rank count nor on thread scheduling.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "data/sources/source.h"

namespace softvit {

struct SamplerOptions {
  std::string kind = "sequential";  // sequential | random | balanced | repeated
  uint64_t seed = 0;
  int rank = 0, world_size = 1;
  int repeats = 3;  // repeated: copies of each sample
};

struct EpochEntry {
  int64_t position;  // in the full order of the epoch
  int64_t index;     // sample index in the source
};

// sequential: 0..N-1. random: a permutation. balanced: N draws with replacement, each class
// equally likely (weights 1 / class count). repeated: a permutation with each sample `repeats`
// times in a row, dealt so that the copies land on different ranks, and cut to ceil(N / world)
// per rank (DeiT's RASampler), so an epoch has the usual length.
std::vector<EpochEntry> epoch_order(const Source& source, const SamplerOptions& options, int64_t epoch);

}  // namespace softvit
