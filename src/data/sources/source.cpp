#include "data/sources/source.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "core/error.h"
#include "data/decode.h"

namespace softvit {

Source::Decoded Source::read(int64_t i, const DecodeOptions& options) const {
  RawImage raw = load(i);
  if (!raw.ok()) return {cv::Mat(), raw.name, raw.name + ": " + raw.error};
  try {
    return {raw.pixels.empty() ? decode_image(raw.encoded, raw.name, options)
                               : convert_pixels(raw.pixels, options),
            raw.name, ""};
  } catch (const DataError& e) {
    return {cv::Mat(), raw.name, e.what()};
  }
}

void report_problem(bool skip, std::vector<DataProblem>& problems, const std::string& file,
                    const std::string& reason) {
  if (!skip) throw DataError(file + ": " + reason);
  problems.push_back({file, reason});
}

RawImage load_file(const std::string& path) {
  RawImage raw;
  raw.name = path;
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) {
    raw.error = std::filesystem::exists(path) ? "cannot open the file" : "the file does not exist";
    return raw;
  }
  std::fseek(file, 0, SEEK_END);
  const long size = std::ftell(file);
  std::fseek(file, 0, SEEK_SET);
  if (size < 0) {
    raw.error = "cannot read the file";
  } else {
    raw.encoded.resize(static_cast<size_t>(size));
    if (size > 0 && std::fread(raw.encoded.data(), 1, raw.encoded.size(), file) != raw.encoded.size())
      raw.error = "cannot read the whole file";
  }
  std::fclose(file);
  return raw;
}

bool is_image_file(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const char* known :
       {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".pgm", ".ppm", ".pbm", ".dcm", ".dicom"})
    if (ext == known) return true;
  return false;
}

}  // namespace softvit
