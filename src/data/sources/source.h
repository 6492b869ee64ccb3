// What every dataset format provides: a fixed list of samples, the ordered class names, each
// sample's label(s) and its image. File-based sources hand out the encoded bytes (so the loader
// can decode only the region it needs); in-memory sources hand out pixels without a copy.
#pragma once
#include <opencv2/core.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/dicom/dicom_options.h"

namespace softvit {

// One sample's image as the source holds it: either encoded bytes (a file's contents) or
// decoded uint8 pixels, H x W x C with C = 1 or 3 in RGB order.
struct RawImage {
  std::vector<uint8_t> encoded;
  cv::Mat pixels;
  std::string name;   // file path or "file.npz:train[12]": names the sample in messages
  std::string error;  // non-empty: the sample cannot be read, and why
  bool ok() const { return error.empty(); }
};

// Something wrong with the data found before any image is decoded (a bad manifest row, a label
// out of range, an empty class folder), or while decoding.
struct DataProblem {
  std::string file;
  std::string reason;
};

// How encoded images become pixels.
struct DecodeOptions {
  int channels = 3;           // 1 (gray) or 3 (RGB)
  bool minmax_16bit = false;  // 16-bit images: per-image min-max stretch instead of x/257
  bool dct_scaling = true;    // ROI decoding: also scale in the DCT domain (jpeg_region.h)
  DicomOptions dicom;         // DICOM files: window and frames (data.dicom)
};

class Source {
 public:
  virtual ~Source() = default;

  virtual int64_t size() const = 0;
  virtual const std::vector<std::string>& classes() const = 0;
  // Multi-label sources give every sample one 0/1 value per class; single-label ones a class index.
  virtual bool multi_label() const { return false; }
  virtual int64_t label(int64_t i) const = 0;
  virtual std::vector<uint8_t> labels(int64_t i) const { return {}; }
  // Channels of the images as stored (1 or 3): the default for data.channels = 0.
  virtual int native_channels() const { return 3; }
  virtual RawImage load(int64_t i) const = 0;
  // Problems found while listing the samples (kept out of the sample list under on_error: skip).
  const std::vector<DataProblem>& problems() const { return problems_; }

  // The decoded image of sample i (H x W x channels, uint8), or the reason it cannot be read.
  struct Decoded {
    cv::Mat image;
    std::string name;   // names the sample (its file)
    std::string error;  // non-empty: why it cannot be read
  };
  Decoded read(int64_t i, const DecodeOptions& options) const;

 protected:
  std::vector<DataProblem> problems_;
};

using SourcePtr = std::shared_ptr<const Source>;

// A file's bytes as a RawImage (error set when it cannot be read).
RawImage load_file(const std::string& path);

// True for the file name extensions the folder and csv sources treat as images (DICOM's .dcm and
// .dicom included, also in a build without DICOM support, where reading one is an error saying so).
bool is_image_file(const std::string& path);

// Bad data found while listing samples: with stop, a DataError naming the file and reason;
// with skip, recorded in `problems` and left out.
void report_problem(bool skip, std::vector<DataProblem>& problems, const std::string& file,
                    const std::string& reason);

}  // namespace softvit
