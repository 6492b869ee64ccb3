#include "data/webdataset/shard_stream.h"

#include "core/error.h"
#include "core/strings.h"

namespace softvit {

ShardStream::ShardStream(std::vector<ShardInfo> shards, const LabelRule& rule, StreamOptions options)
    : shards_(std::move(shards)),
      rule_(rule),
      options_(options),
      rng_(Rng::key({options.seed, 0xb0ffe7ULL})) {
  buffer_.reserve(static_cast<size_t>(std::max<int64_t>(1, options_.buffer)));
}

std::optional<StreamSample> ShardStream::read() {
  for (;;) {
    if (!reader_) {
      if (position_ == shards_.size()) return std::nullopt;  // the end of this pass
      reader_ = std::make_unique<ShardReader>(shards_[position_].path, rule_, /*with_images=*/true);
      taken_ = 0;
    }
    const ShardInfo& shard = shards_[position_];
    ShardSample sample;
    bool more = taken_ < shard.samples;
    try {
      more = more && reader_->next(sample);
    } catch (const DataError&) {
      if (!options_.skip_bad) throw;
      more = false;  // the listing recorded it; the samples before the damage were used
    }
    if (!more) {
      reader_.reset();
      ++position_;
      continue;
    }
    if (!sample.problem.empty()) {
      if (!options_.skip_bad) throw DataError(cat(sample_name(shard, sample.key), ": ", sample.problem));
      continue;  // left out by the listing too
    }
    ++taken_;
    ++pass_samples_;
    // A DICOM member keeps its extension in the name: the decoder also knows a file without the
    // DICM preamble by it.
    const bool dicom = sample.image_extension == "dcm" || sample.image_extension == "dicom";
    return StreamSample{sample_name(shard, sample.key) + (dicom ? "." + sample.image_extension : ""),
                        std::move(sample.image), sample.label};
  }
}

void ShardStream::start_next_pass() {
  if (pass_samples_ == 0)
    throw DataError(cat("webdataset: shard ", shards_.front().path,
                        " and the others of its reader stream yield "
                        "no usable samples (changed since they were listed?)"));
  ++pass_;
  pass_samples_ = 0;
  position_ = 0;
  pass_done_ = false;
  Rng order(Rng::key({options_.seed, static_cast<uint64_t>(pass_), 0x9a55ULL}));
  seeded_shuffle(shards_, order);
}

std::optional<StreamSample> ShardStream::next() {
  const auto capacity = static_cast<size_t>(std::max<int64_t>(1, options_.buffer));
  for (;;) {
    while (!pass_done_ && buffer_.size() < capacity) {
      auto sample = read();
      if (!sample) {
        pass_done_ = true;
        break;
      }
      buffer_.push_back(std::move(*sample));
    }
    if (!buffer_.empty()) break;
    if (!options_.repeat || shards_.empty()) return std::nullopt;
    start_next_pass();  // the buffer is drained at the end of a pass: each pass holds each sample once
  }
  const auto pick = static_cast<size_t>(rng_.below(static_cast<int64_t>(buffer_.size())));
  StreamSample out = std::move(buffer_[pick]);
  if (pick + 1 != buffer_.size()) buffer_[pick] = std::move(buffer_.back());
  buffer_.pop_back();
  return out;
}

}  // namespace softvit
