// A CSV manifest: one row per image with its path (relative to data.root) and either a class
// column (name or index) or, for multi-label data, one 0/1 column per class; optionally a
// column naming the split. The first row names the columns.
#pragma once
#include "core/config/data_section.h"
#include "data/sources/csv_parse.h"
#include "data/sources/source.h"

namespace softvit {

// Whether the manifest has rows of `split`: its own file ({split} in data.manifest), or rows of
// that split (data.csv_split_column). A single manifest for every split has no split of its own.
bool csv_has_split(const DataSection& data, const std::string& split);

class CsvSource : public Source {
 public:
  CsvSource(const DataSection& data, const std::string& split, int64_t limit);

  int64_t size() const override { return static_cast<int64_t>(files_.size()); }
  const std::vector<std::string>& classes() const override { return classes_; }
  bool multi_label() const override { return multi_; }
  int64_t label(int64_t i) const override { return multi_ ? -1 : labels_[static_cast<size_t>(i)]; }
  std::vector<uint8_t> labels(int64_t i) const override;
  RawImage load(int64_t i) const override { return load_file(files_[static_cast<size_t>(i)]); }

 private:
  std::vector<std::string> classes_;
  bool multi_ = false;
  std::vector<std::string> files_;
  std::vector<int64_t> labels_;        // single-label
  std::vector<uint8_t> label_matrix_;  // multi-label, size() x classes
};

}  // namespace softvit
