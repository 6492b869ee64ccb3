#include "train/run_log.h"

#include <filesystem>
#include <map>
#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/strings.h"

namespace softvit {
namespace fs = std::filesystem;
namespace {

// metrics.jsonl without the records past the resume point (and a line cut by a crash).
void keep_jsonl_until(const fs::path& path, int64_t epochs_done, int64_t steps_done) {
  if (!fs::exists(path)) return;
  std::istringstream in(read_file(path.string()));
  std::string kept;
  for (std::string line; std::getline(in, line);) {
    const auto record = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!record.is_object()) continue;
    const bool is_step = record.value("type", "") == "step";
    const int64_t at = record.value(is_step ? "step" : "epoch", int64_t{0});
    if (at <= (is_step ? steps_done : epochs_done)) kept += line + "\n";
  }
  write_file_atomic(path.string(), kept);
}

// summary.csv without the epochs past the resume point, in today's columns (an older file's
// columns are matched by name; columns it lacks stay empty).
void keep_csv_until(const fs::path& path, int64_t epochs_done) {
  std::string text = join(summary_columns(), ",") + "\n";
  if (fs::exists(path)) {
    std::istringstream in(read_file(path.string()));
    std::string line;
    std::getline(in, line);
    const std::vector<std::string> header = split(line, ',');
    while (std::getline(in, line)) {
      const std::vector<std::string> fields = split(line, ',');
      if (line.empty() || fields.size() != header.size()) continue;  // cut by a crash
      std::map<std::string, std::string> by_name;
      for (size_t i = 0; i < header.size(); ++i) by_name[header[i]] = fields[i];
      if (std::atoll(by_name["epoch"].c_str()) > epochs_done) continue;
      std::vector<std::string> row;
      for (const auto& column : summary_columns()) row.push_back(by_name[column]);
      text += join(row, ",") + "\n";
    }
  }
  write_file_atomic(path.string(), text);
}

std::string csv_number(const nlohmann::json& extra, const std::string& key) {
  return extra.contains(key) && extra[key].is_number() ? fixed(extra[key].get<double>(), 6) : "";
}

}  // namespace

const std::vector<std::string>& summary_columns() {
  static const std::vector<std::string> columns = {
      "epoch",        "train_loss",    "val_loss", "val_top1", "val_auroc", "ema_val_loss",
      "ema_val_top1", "ema_val_auroc", "lr",       "img_s",    "seconds"};
  return columns;
}

RunLog::RunLog(const std::string& run_dir, int64_t epochs_done, int64_t steps_done) {
  const auto jsonl_path = fs::path(run_dir) / "metrics.jsonl";
  const auto csv_path = fs::path(run_dir) / "summary.csv";
  try {
    keep_jsonl_until(jsonl_path, epochs_done, steps_done);
    keep_csv_until(csv_path, epochs_done);
  } catch (const Error& e) {
    throw Error(cat("cannot write run files in '", run_dir, "': ", e.what()));
  }
  jsonl_.open(jsonl_path, std::ios::app);
  csv_.open(csv_path, std::ios::app);
  if (!jsonl_ || !csv_) throw Error(cat("cannot write run files in '", run_dir, "'"));
}

void RunLog::step(const nlohmann::json& record) {
  nlohmann::json line = {{"type", "step"}};
  line.update(record);
  jsonl_ << line.dump() << "\n" << std::flush;
}

void RunLog::epoch(const EpochSummary& s, nlohmann::json extra) {
  nlohmann::json line = {{"type", "epoch"},        {"epoch", s.epoch},       {"train_loss", s.train_loss},
                         {"val_loss", s.val_loss}, {"val_top1", s.val_top1}, {"lr", s.lr},
                         {"img_s", s.img_s},       {"seconds", s.seconds}};
  line.update(extra);
  jsonl_ << line.dump() << "\n" << std::flush;
  csv_ << s.epoch << "," << fixed(s.train_loss, 6) << "," << fixed(s.val_loss, 6) << ","
       << fixed(s.val_top1, 6) << "," << csv_number(extra, "val_auroc") << ","
       << csv_number(extra, "ema_val_loss") << "," << csv_number(extra, "ema_val_top1") << ","
       << csv_number(extra, "ema_val_auroc") << "," << s.lr << "," << fixed(s.img_s, 1) << ","
       << fixed(s.seconds, 2) << "\n"
       << std::flush;
}

}  // namespace softvit
