#include "data/webdataset/shard_writer.h"

#include <glob.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <iomanip>
#include <memory>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "core/error.h"
#include "core/strings.h"
#include "data/dicom/dicom_syntax.h"
#include "data/webdataset/tar_writer.h"
#include "log/log.h"

namespace softvit {
namespace {

constexpr int64_t kDefaultShardBytes = int64_t{256} << 20;

std::string padded(int64_t value, int width) {
  std::ostringstream out;
  out << std::setw(width) << std::setfill('0') << value;
  return out.str();
}

std::string shard_suffix(const PackOptions& options) { return options.gzip ? ".tar.gz" : ".tar"; }

// The member's bytes and extension, or the reason there are none.
std::string image_member(const RawImage& raw, std::vector<uint8_t>& bytes, std::string& extension) {
  if (raw.pixels.empty()) {
    extension = encoded_image_extension(raw.encoded);
    if (extension.empty() && has_dicom_extension(raw.name)) extension = "dcm";  // DICOM without preamble
    if (extension.empty()) return "its bytes are not a jpg, png, webp, bmp, tif, pnm or DICOM image";
    bytes = raw.encoded;
    return "";
  }
  cv::Mat bgr = raw.pixels;  // RGB (or gray) in memory; OpenCV writes BGR
  if (raw.pixels.channels() == 3) cv::cvtColor(raw.pixels, bgr, cv::COLOR_RGB2BGR);
  if (!cv::imencode(".png", bgr, bytes)) return "cannot be encoded as PNG";
  extension = "png";
  return "";
}

void refuse_existing(const PackOptions& options, const std::string& split) {
  const std::string pattern =
      (std::filesystem::path(options.output_dir) / cat(options.prefix, "-", split, "-*.tar*")).string();
  glob_t found{};
  const bool any = glob(pattern.c_str(), 0, nullptr, &found) == 0 && found.gl_pathc > 0;
  const std::string first = any ? found.gl_pathv[0] : "";
  globfree(&found);
  if (any)
    throw DataError(cat(options.output_dir, " already holds shards of split '", split, "' (", first,
                        "): remove them or choose another --output or --prefix"));
}

}  // namespace

std::string encoded_image_extension(const std::vector<uint8_t>& b) {
  const auto starts = [&b](const char* magic, size_t n, size_t at = 0) {
    return b.size() >= at + n && std::memcmp(b.data() + at, magic, n) == 0;
  };
  if (starts("DICM", 4, 128)) return "dcm";
  if (starts("\xFF\xD8\xFF", 3)) return "jpg";
  if (starts("\x89PNG\r\n\x1a\n", 8)) return "png";
  if (starts("RIFF", 4) && starts("WEBP", 4, 8)) return "webp";
  if (starts("BM", 2)) return "bmp";
  if (starts("II*\0", 4) || starts("MM\0*", 4)) return "tif";
  if (b.size() >= 2 && b[0] == 'P') {
    if (b[1] == '1' || b[1] == '4') return "pbm";
    if (b[1] == '2' || b[1] == '5') return "pgm";
    if (b[1] == '3' || b[1] == '6') return "ppm";
  }
  return "";
}

std::string packed_shard_pattern(const PackOptions& options) {
  return cat(options.prefix, "-{split}-*", shard_suffix(options));
}

PackResult pack_split(const Source& source, const std::string& split, const PackOptions& options) {
  if (source.multi_label())
    throw DataError(
        cat("split '", split, "' is multi-label; data pack writes one class per sample (KEY.cls)"));
  refuse_existing(options, split);
  std::filesystem::create_directories(options.output_dir);
  const int64_t max_bytes = options.max_shard_bytes > 0 || options.samples_per_shard > 0
                                ? options.max_shard_bytes
                                : kDefaultShardBytes;
  PackResult result;
  std::unique_ptr<TarWriter> writer;
  int64_t in_shard = 0, shard_bytes = 0;
  const auto start = std::chrono::steady_clock::now();
  auto last_log = start;
  for (int64_t i = 0; i < source.size(); ++i) {
    const RawImage raw = source.load(i);
    std::vector<uint8_t> bytes;
    std::string extension, problem = raw.ok() ? image_member(raw, bytes, extension) : raw.error;
    if (!problem.empty()) {
      report_problem(options.skip_bad, result.skipped, raw.name, problem);
      continue;
    }
    const std::string label = std::to_string(source.label(i));
    const int64_t size = TarWriter::member_bytes(static_cast<int64_t>(bytes.size())) +
                         TarWriter::member_bytes(static_cast<int64_t>(label.size()));
    const bool full = (options.samples_per_shard > 0 && in_shard >= options.samples_per_shard) ||
                      (max_bytes > 0 && in_shard > 0 && shard_bytes + size > max_bytes);
    if (writer && full) {
      writer->close();
      writer.reset();
    }
    if (!writer) {
      const std::string name =
          cat(options.prefix, "-", split, "-", padded(static_cast<int64_t>(result.shards.size()), 6),
              shard_suffix(options));
      result.shards.push_back((std::filesystem::path(options.output_dir) / name).string());
      writer = std::make_unique<TarWriter>(result.shards.back(), options.gzip);
      in_shard = 0;
      shard_bytes = 1024;  // the end-of-archive blocks
    }
    const std::string key = padded(i, 8);
    writer->add(key + "." + extension, bytes);
    writer->add(key + ".cls", std::vector<uint8_t>(label.begin(), label.end()));
    ++in_shard;
    shard_bytes += size;
    ++result.samples;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_log > std::chrono::seconds(10)) {
      last_log = now;
      log::info(cat("data pack: split ", split, ": ", i + 1, " of ", source.size(), " samples, ",
                    result.shards.size(), " shards"));
    }
  }
  if (writer) writer->close();
  return result;
}

}  // namespace softvit
