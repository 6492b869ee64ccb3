// `softvit data pack`: a split of any random-access source (folder, CSV, npz, IDX, synthetic)
// written as WebDataset shards OUTPUT/PREFIX-SPLIT-000000.tar[.gz], ... Each sample is KEY.EXT,
// the source's encoded bytes as they are (EXT from their format: jpg, png, webp, bmp, tif, pgm,
// ppm, pbm) or a PNG for pixels held in memory (npz, IDX, synthetic), and KEY.cls, its class index
// as text; KEY is the sample's index in the split, 8 digits. A new shard starts after
// samples_per_shard samples or before max_shard_bytes (uncompressed tar bytes) would be passed.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "data/sources/source.h"

namespace softvit {

struct PackOptions {
  std::string output_dir;
  std::string prefix = "data";
  int64_t samples_per_shard = 0;  // 0: no limit by count
  int64_t max_shard_bytes = 0;    // 0: no limit by size; both 0: 256 MiB
  bool gzip = false;
  bool skip_bad = false;  // data.on_error skip: a sample that cannot be read is left out
};

struct PackResult {
  std::vector<std::string> shards;  // files written
  int64_t samples = 0;
  std::vector<DataProblem> skipped;
};

// Throws DataError for a multi-label source, for shards of this prefix and split already in the
// output folder, and (on_error: stop) for a sample that cannot be read, naming it.
PackResult pack_split(const Source& source, const std::string& split, const PackOptions& options);

// The data.shards pattern that reads the packed splits back: "PREFIX-{split}-*.tar[.gz]".
std::string packed_shard_pattern(const PackOptions& options);

// The image member's extension for encoded bytes, from their first bytes; empty when unknown.
std::string encoded_image_extension(const std::vector<uint8_t>& bytes);

}  // namespace softvit
