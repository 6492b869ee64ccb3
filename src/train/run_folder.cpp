#include "train/run_folder.h"

#include <filesystem>

#include "core/config.h"
#include "core/config_schema.h"
#include "core/error.h"
#include "core/strings.h"
#include "log/log.h"
#include "train/checkpoint.h"

namespace softvit {
namespace fs = std::filesystem;
namespace {

// What softvit train writes in a run folder (train.log is also written by a start that fails).
constexpr const char* kRunFiles[] = {"config.yaml", "metrics.jsonl", "summary.csv", "curves.png"};

bool has_entries(const fs::path& dir) {
  return fs::is_directory(dir) && fs::directory_iterator(dir) != fs::directory_iterator();
}

// The first option of the model or data sections (what the weights were trained for) that
// differs, as "key: a vs b"; empty when they agree. The other sections may change on a resume.
std::string first_model_or_data_difference(const RunConfig& a, const RunConfig& b) {
  for (const Option& option : schema().options()) {
    if (option.key.rfind("model.", 0) != 0 && option.key.rfind("data.", 0) != 0) continue;
    YAML::Emitter x, y;
    x << YAML::Flow << option.get(a);
    y << YAML::Flow << option.get(b);
    if (std::string(x.c_str()) != y.c_str()) return cat(option.key, ": ", x.c_str(), " vs ", y.c_str());
  }
  return "";
}

}  // namespace

std::vector<std::string> earlier_run_files(const std::string& run_dir) {
  const fs::path dir(run_dir);
  std::vector<std::string> found;
  for (const char* name : kRunFiles)
    if (fs::exists(dir / name)) found.push_back(name);
  if (has_entries(dir / "checkpoints")) found.push_back("checkpoints/");
  return found;
}

void prepare_fresh_run_folder(const std::string& run_dir, bool overwrite, bool remove) {
  const std::vector<std::string> found = earlier_run_files(run_dir);
  if (found.empty()) return;
  if (!overwrite)
    throw ConfigError(cat("run folder '", run_dir, "' holds an earlier run (", join(found, ", "),
                          "): continue it with 'softvit train --resume ", run_dir,
                          "', start this one elsewhere (--output or run.output), or replace it with "
                          "--overwrite"));
  if (!remove) return;
  const fs::path dir(run_dir);
  for (const char* name : kRunFiles) fs::remove(dir / name);
  fs::remove(dir / "train.log");
  fs::remove_all(dir / "checkpoints");
  log::warn(cat("--overwrite: removed the earlier run in ", run_dir, " (", join(found, ", "), ")"));
}

void check_resumable(const std::string& run_dir) {
  const std::string config_path = (fs::path(run_dir) / "config.yaml").string();
  const std::string last = (fs::path(run_dir) / "checkpoints" / "last.pt").string();
  if (!fs::exists(config_path))
    throw ConfigError(
        cat("cannot resume: '", config_path, "' does not exist (is '", run_dir, "' a run folder?)"));
  if (!fs::exists(last))
    throw ConfigError(cat("cannot resume: '", last, "' does not exist (the run in ", run_dir,
                          " saved no checkpoint: start it again with --overwrite)"));
  const RunConfig folder = load_config(config_path);
  const RunConfig saved = parse_config(read_checkpoint_info(last).config_yaml, last);
  const std::string difference = first_model_or_data_difference(folder, saved);
  if (!difference.empty())
    throw ConfigError(cat("cannot resume: ", last, " belongs to another run than ", config_path, " (",
                          difference,
                          " in config.yaml vs last.pt); start afresh with --overwrite, or elsewhere"));
}

}  // namespace softvit
