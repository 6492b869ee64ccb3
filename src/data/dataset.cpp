#include "data/dataset.h"

#include <filesystem>

#include "core/error.h"
#include "core/strings.h"
#include "data/idx.h"

namespace softvit {
namespace fs = std::filesystem;
namespace {

TensorDataset load_idx(const DataSection& data, const std::string& split) {
  const std::string images_path = find_idx_file(data.root, split, "images");
  const std::string labels_path = find_idx_file(data.root, split, "labels");
  IdxArray images = read_idx(images_path);
  IdxArray labels = read_idx(labels_path);
  if (images.shape.size() != 3)
    throw DataError(cat("'", images_path, "' should hold N x H x W images, has ", images.shape.size(), " dimensions"));
  if (labels.shape.size() != 1 || labels.shape[0] != images.shape[0])
    throw DataError(cat("'", labels_path, "' holds ", labels.shape[0], " labels for ", images.shape[0], " images"));

  TensorDataset out;
  const auto n = images.shape[0], h = images.shape[1], w = images.shape[2];
  out.images = torch::from_blob(images.data.data(), {n, 1, h, w}, torch::kUInt8).clone();
  out.labels = torch::from_blob(labels.data.data(), {n}, torch::kUInt8).to(torch::kInt64);
  const int64_t max_label = out.labels.max().item<int64_t>();
  out.classes = data.classes;
  if (out.classes.empty()) {
    if (max_label < 10 && fs::path(data.root).string().find("fashion") != std::string::npos)
      out.classes = fashion_mnist_classes();
    else
      for (int64_t c = 0; c <= std::max<int64_t>(max_label, 9); ++c) out.classes.push_back(std::to_string(c));
  }
  if (max_label >= static_cast<int64_t>(out.classes.size()))
    throw DataError(cat("'", labels_path, "' has label ", max_label, " but only ", out.classes.size(), " classes are named"));
  return out;
}

}  // namespace

const std::vector<std::string>& fashion_mnist_classes() {
  static const std::vector<std::string> names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                 "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};
  return names;
}

TensorDataset load_split(const DataSection& data, const std::string& split, int64_t limit) {
  TensorDataset out;
  if (data.source == "idx")
    out = load_idx(data, split);
  else
    throw ConfigError(cat("unknown data.source '", data.source, "' (known: idx)"));
  if (limit > 0 && limit < out.size()) {
    out.images = out.images.slice(0, 0, limit).clone();
    out.labels = out.labels.slice(0, 0, limit).clone();
  }
  return out;
}

}  // namespace softvit
