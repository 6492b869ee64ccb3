// RandAugment's pieces that tests check against timm's definitions.
#pragma once
#include <string>
#include <vector>

#include "data/transforms/transform_spec.h"

namespace softvit {

struct RandAugmentOptions {
  double magnitude = 10, magnitude_std = 0, magnitude_max = 10, prob = 0.5;
  int layers = 2;
  bool increasing = false;
};

// From rand_augment(rand-m9-mstd0.5-inc1) or rand_augment(m=9, n=2, mstd=0.5, inc=1, mmax=10, p=0.5).
RandAugmentOptions parse_rand_augment(const TransformSpec& spec);

// The ops in timm's order: _RAND_INCREASING_TRANSFORMS or _RAND_TRANSFORMS.
std::vector<std::string> rand_augment_ops(bool increasing);

// The op's argument at `magnitude` before any random sign (timm's *_level_to_arg): degrees,
// bits, threshold, added value, enhance factor, shear, or translation as a fraction of the size.
// Ops without an argument give 0.
double rand_augment_argument(const std::string& op, double magnitude);

}  // namespace softvit
