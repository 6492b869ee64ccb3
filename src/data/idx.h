// Reader for the IDX format of the MNIST family (optionally gzip-compressed).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace softvit {

struct IdxArray {
  std::vector<int64_t> shape;  // e.g. {60000, 28, 28}
  std::vector<uint8_t> data;   // row-major, unsigned bytes
};

// Reads `path` (plain or .gz). Throws DataError naming the file when it is missing, not IDX,
// not unsigned bytes, or shorter than its header says.
IdxArray read_idx(const std::string& path);

// The MNIST-family file of `split` ("train", "test") and `kind` ("images", "labels") in `root`:
// train-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz], ... Throws DataError naming the
// folder when it or the file is missing.
std::string find_idx_file(const std::string& root, const std::string& split, const std::string& kind);

// Fashion-MNIST's own class names, in label order.
const std::vector<std::string>& fashion_mnist_classes();

}  // namespace softvit
