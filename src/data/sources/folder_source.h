// An ImageNet-style folder: root/<split>/<class>/<image>. Classes are the subfolder names in
// sorted order (or data.classes, which then must name every subfolder); files in sorted order.
#pragma once
#include "core/config.h"
#include "data/sources/source.h"

namespace softvit {

class FolderSource : public Source {
 public:
  FolderSource(const std::string& split_dir, const std::vector<std::string>& classes, bool skip_bad,
               int64_t limit);

  int64_t size() const override { return static_cast<int64_t>(files_.size()); }
  const std::vector<std::string>& classes() const override { return classes_; }
  int64_t label(int64_t i) const override { return labels_[static_cast<size_t>(i)]; }
  RawImage load(int64_t i) const override { return load_file(files_[static_cast<size_t>(i)]); }

 private:
  std::vector<std::string> classes_;
  std::vector<std::string> files_;
  std::vector<int64_t> labels_;
};

SourcePtr make_folder_source(const DataSection& data, const std::string& split, int64_t limit);

}  // namespace softvit
