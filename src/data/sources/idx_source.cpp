#include "data/sources/idx_source.h"

#include <algorithm>

#include "core/error.h"
#include "core/strings.h"
#include "data/idx.h"
#include "data/sources/array_source.h"
#include "data/sources/index_classes.h"
#include "data/sources/source_registry.h"

namespace softvit {

SourcePtr make_idx_source(const DataSection& data, const std::string& split, int64_t limit) {
  const std::string images_path = find_idx_file(data.root, split, "images");
  const std::string labels_path = find_idx_file(data.root, split, "labels");
  IdxArray images = read_idx(images_path);
  IdxArray labels = read_idx(labels_path);
  if (images.shape.size() != 3)
    throw DataError(
        cat("'", images_path, "' should hold N x H x W images, has ", images.shape.size(), " dimensions"));
  if (labels.shape.size() != 1 || labels.shape[0] != images.shape[0])
    throw DataError(
        cat("'", labels_path, "' holds ", labels.shape[0], " labels for ", images.shape[0], " images"));

  ImageArray array;
  array.count = images.shape[0];
  array.height = static_cast<int>(images.shape[1]);
  array.width = static_cast<int>(images.shape[2]);
  array.channels = 1;
  array.pixels = std::move(images.data);
  array.labels.assign(labels.data.begin(), labels.data.end());

  // The MNIST family has 10 classes; labels beyond them must each have samples (index_classes.h).
  std::vector<std::string> classes = data.classes;
  if (classes.empty()) {
    const int64_t max_label =
        array.labels.empty() ? 0 : *std::max_element(array.labels.begin(), array.labels.end());
    if (max_label < 10 && data.root.find("fashion") != std::string::npos)
      classes = fashion_mnist_classes();
    else if (max_label < 10)
      for (int64_t c = 0; c < 10; ++c) classes.push_back(std::to_string(c));
    else
      classes = index_classes(array.labels, 10, [&](size_t i) { return cat(labels_path, "[", i, "]"); });
  }
  truncate_array(array, limit);
  return std::make_shared<ArraySource>(std::move(array), std::move(classes), labels_path,
                                       data.on_error == "skip");
}

SourceKind idx_source_kind() {
  SourceKind kind;
  kind.name = "idx";
  kind.open = make_idx_source;
  kind.has_split = [](const DataSection& data, const std::string& split) {
    try {
      find_idx_file(data.root, split, "images");
      return true;
    } catch (const DataError&) {
      return false;
    }
  };
  return kind;
}

}  // namespace softvit
