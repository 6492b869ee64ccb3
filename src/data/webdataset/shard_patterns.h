// The shard files that data.shards names. Each pattern is relative to data.root (an absolute one
// stays as it is); "{split}" becomes the split's name; brace ranges ("{000000..000002}", zero
// padded to the wider bound when a bound has a leading zero) and brace lists ("{a,b}", nested
// too) are expanded as the shell and webdataset's braceexpand do; then glob characters (* ? [..])
// match files, in sorted order. Shards come in the order of the patterns.
#pragma once
#include <string>
#include <vector>

namespace softvit {

// "a-{0..2}.tar" -> a-0.tar, a-1.tar, a-2.tar. Braces that are neither a list nor a range stay.
std::vector<std::string> expand_braces(const std::string& pattern);

// The shard files of `split`. Throws ConfigError when there are no patterns and DataError naming
// the pattern when it matches no file, or naming a shard that two patterns give.
std::vector<std::string> resolve_shards(const std::string& root, const std::vector<std::string>& patterns,
                                        const std::string& split);

}  // namespace softvit
