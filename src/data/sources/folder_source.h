// An ImageNet-style folder: root/<split>/<class>/<image>. Classes are the subfolder names in
// sorted order (or given: data.classes, or the model's for an evaluation split), which then must
// name every subfolder; files in sorted order.
#pragma once
#include "core/config/data_section.h"
#include "data/sources/source.h"

namespace softvit {

class FolderSource : public Source {
 public:
  // every_class_present: a given class without a folder of images is a problem (data.on_error);
  // otherwise it is a class absent from this split.
  FolderSource(const std::string& split_dir, const std::vector<std::string>& classes, bool skip_bad,
               int64_t limit, bool every_class_present = true);

  int64_t size() const override { return static_cast<int64_t>(files_.size()); }
  const std::vector<std::string>& classes() const override { return classes_; }
  int64_t label(int64_t i) const override { return labels_[static_cast<size_t>(i)]; }
  RawImage load(int64_t i) const override { return load_file(files_[static_cast<size_t>(i)]); }
  // Files in a format the decoder cannot read (GIF), left out: one line per reason with the
  // count and an example. They are also logged as a warning, once per split folder.
  const std::vector<std::string>& unread_notes() const { return unread_notes_; }

 private:
  std::vector<std::string> unread_notes_;
  std::vector<std::string> classes_;
  std::vector<std::string> files_;
  std::vector<int64_t> labels_;
};

std::string folder_split_dir(const DataSection& data, const std::string& split);  // root/split
SourcePtr make_folder_source(const DataSection& data, const std::string& split, int64_t limit);

}  // namespace softvit
