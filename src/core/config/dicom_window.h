// The type of data.dicom.window: auto | minmax, or a fixed window {center: C, width: W} (a YAML
// map, or [C, W]); config_schema.cpp reads and writes it.
#pragma once
#include <string>

namespace softvit {

struct DicomWindow {
  std::string mode = "auto";  // auto | minmax | fixed (written as the map)
  double center = 0;
  double width = 0;
};

}  // namespace softvit
