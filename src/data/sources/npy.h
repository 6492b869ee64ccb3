// The NumPy .npy format (version 1 to 3): the header's dtype, shape and order, and the data.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace softvit {

struct NpyArray {
  std::string dtype;  // as written, e.g. "|u1"
  std::vector<int64_t> shape;
  bool fortran_order = false;
  std::vector<uint8_t> data;  // the raw element bytes
};

// Parses a whole .npy file held in memory. Only unsigned bytes (|u1) in C order are accepted
// (MedMNIST's format); anything else is a DataError naming `name` and what was found.
NpyArray parse_npy(const std::vector<uint8_t>& bytes, const std::string& name);

}  // namespace softvit
