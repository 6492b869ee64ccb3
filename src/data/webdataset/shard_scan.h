// One streaming pass over a split's shards that decodes every image (`softvit data inspect`):
// the image sizes and the samples whose image cannot be read. Shards are read in parallel.
#pragma once
#include <map>
#include <utility>
#include <vector>

#include "data/dicom/dicom_tally.h"
#include "data/sources/source.h"
#include "data/webdataset/shard_split.h"

namespace softvit {

struct ImageScan {
  std::map<std::pair<int, int>, int64_t> sizes;  // (width, height) -> images
  std::vector<DataProblem> unreadable;           // in shard order
  DicomTally dicom;                              // the DICOM members' headers
};

ImageScan scan_shard_images(const ShardSplit& split, const DecodeOptions& decode, int threads);

}  // namespace softvit
