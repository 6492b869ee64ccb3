// How DICOM pixels become an 8-bit image (data.dicom.* in the config): the window and what to do
// with a file of several frames. Plain values, so that every decoder option header can hold them.
#pragma once
#include <string>

namespace softvit {

struct DicomOptions {
  // auto: the file's VOI LUT, else its first Window Center/Width, else the min-max of the rescaled
  // values; minmax: always the min-max; fixed: `center` and `width` (in rescaled units, e.g. HU).
  std::string window = "auto";
  double center = 0;
  double width = 0;
  bool first_frame = true;  // a file of several frames: its first frame (true) or an error (false)
};

}  // namespace softvit
