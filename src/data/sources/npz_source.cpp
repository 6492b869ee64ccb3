#include "data/sources/npz_source.h"

#include <zip.h>

#include <algorithm>
#include <memory>

#include "core/error.h"
#include "core/strings.h"
#include "data/sources/array_source.h"
#include "data/sources/index_classes.h"
#include "data/sources/npy.h"
#include "data/sources/source_registry.h"
#include "data/sources/zip_members.h"

namespace softvit {
namespace {

struct ZipCloser {
  void operator()(zip_t* z) const { zip_discard(z); }
};

}  // namespace

bool npz_has_split(const std::string& path, const std::string& split) {
  int code = 0;
  std::unique_ptr<zip_t, ZipCloser> archive(zip_open(path.c_str(), ZIP_RDONLY, &code));
  return archive && zip_name_locate(archive.get(), (split + "_images.npy").c_str(), 0) >= 0;
}

SourcePtr make_npz_source(const DataSection& data, const std::string& split, int64_t limit) {
  const std::string& path = data.root;
  auto members = read_zip_members(path);
  const std::string images_key = split + "_images", labels_key = split + "_labels";
  for (const auto& key : {images_key, labels_key})
    if (!members.count(key)) {
      std::vector<std::string> names;
      for (const auto& m : members) names.push_back(m.first);
      throw DataError(cat("'", path, "' has no array '", key, "' for split '", split,
                          "' (it has: ", join(names, ", "), ")"));
    }
  NpyArray images = parse_npy(members[images_key], path + ":" + images_key);
  NpyArray labels = parse_npy(members[labels_key], path + ":" + labels_key);
  members.clear();

  const auto& s = images.shape;
  if (!(s.size() == 3 || (s.size() == 4 && (s[3] == 3 || s[3] == 1))))
    throw DataError(cat("'", path, "': ", images_key, " should be N x H x W or N x H x W x 3, has ", s.size(),
                        " dimensions"));
  const auto& ls = labels.shape;
  if (ls.empty() || ls.size() > 2 || ls[0] != s[0])
    throw DataError(cat("'", path, "': ", labels_key, " should be N x 1 or N x L with N = ", s[0]));

  ImageArray array;
  array.count = s[0];
  array.height = static_cast<int>(s[1]);
  array.width = static_cast<int>(s[2]);
  array.channels = s.size() == 4 ? static_cast<int>(s[3]) : 1;
  array.pixels = std::move(images.data);
  const int64_t width = ls.size() == 2 ? ls[1] : 1;
  if (width == 1)
    array.labels.assign(labels.data.begin(), labels.data.end());
  else {
    array.label_width = width;
    array.label_matrix = std::move(labels.data);
  }
  const std::string origin = path + ":" + split;
  std::vector<std::string> classes = data.classes;
  if (classes.empty() && width == 1 && !array.labels.empty())  // from every label, whatever the limit
    classes = index_classes(array.labels, 2, [&](size_t i) { return cat(origin, "[", i, "]"); });
  else if (classes.empty())
    for (int64_t c = 0; c < width; ++c) classes.push_back(std::to_string(c));
  truncate_array(array, limit);
  return std::make_shared<ArraySource>(std::move(array), std::move(classes), origin, data.on_error == "skip");
}

SourceKind npz_source_kind() {
  SourceKind kind;
  kind.name = "npz";
  kind.open = make_npz_source;
  kind.has_split = [](const DataSection& data, const std::string& split) {
    return npz_has_split(data.root, split);
  };
  return kind;
}

}  // namespace softvit
