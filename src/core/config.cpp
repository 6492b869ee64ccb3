#include "core/config.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "core/config_schema.h"
#include "core/error.h"
#include "core/strings.h"

namespace softvit {
namespace fs = std::filesystem;
namespace {

// One leaf of a config file, flattened to its dotted key.
struct Setting {
  std::string key;
  YAML::Node value;
  std::string where;  // "file:line"
};

std::string place(const std::string& origin, const YAML::Mark& mark) {
  return mark.line >= 0 ? cat(origin, ":", mark.line + 1) : origin;
}

void flatten_one(const YAML::Node& name, const YAML::Node& value, const std::string& prefix,
                 const std::string& origin, std::vector<Setting>& out) {
  const std::string key = prefix.empty() ? name.Scalar() : prefix + "." + name.Scalar();
  if (value.IsMap() && !schema().find(key))  // a map is a section, unless the option takes a map
    for (const auto& item : value) flatten_one(item.first, item.second, key, origin, out);
  else
    out.push_back({key, value, place(origin, name.Mark())});
}

YAML::Node parse_yaml(const std::string& text, const std::string& origin) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(cat(place(origin, e.mark), ": invalid YAML: ", e.msg));
  }
}

void collect(const YAML::Node& root, const std::string& origin, const fs::path& base_dir,
             std::set<std::string>& open_files, std::vector<Setting>& out);

void collect_file(const fs::path& path, std::set<std::string>& open_files, std::vector<Setting>& out) {
  std::ifstream in(path);
  if (!in) throw ConfigError(cat("cannot read config file '", path.string(), "'"));
  std::error_code error;
  std::string canonical = fs::weakly_canonical(path, error).string();
  if (error) canonical = path.string();
  if (!open_files.insert(canonical).second)
    throw ConfigError(cat("config file '", path.string(), "' includes itself"));
  std::stringstream text;
  text << in.rdbuf();
  const YAML::Node root = parse_yaml(text.str(), path.string());
  // An empty file would otherwise run every default silently (Fashion-MNIST, the default model).
  if (!root || root.IsNull())
    throw ConfigError(cat("config file '", path.string(),
                          "' holds no options (it is empty or only comments); expected a map of options, "
                          "e.g. 'model: {name: deit_tiny}' ('softvit config --defaults' lists them all)"));
  collect(root, path.string(), path.parent_path(), open_files, out);
  open_files.erase(canonical);
}

// Included files come first, so that the including file's own keys override them.
void collect(const YAML::Node& root, const std::string& origin, const fs::path& base_dir,
             std::set<std::string>& open_files, std::vector<Setting>& out) {
  if (!root || root.IsNull()) return;
  if (!root.IsMap()) throw ConfigError(cat(origin, ": a config must be a map of options"));
  if (const auto include = root["include"]) {
    std::vector<YAML::Node> files;
    if (include.IsScalar())
      files.push_back(include);
    else if (include.IsSequence())
      for (const auto& f : include) files.push_back(f);
    else
      throw ConfigError(cat(place(origin, include.Mark()), ": include expects a file or a list"));
    for (const auto& file : files) {
      if (!file.IsScalar())  // as<std::string> would throw YAML's own exception, without the place
        throw ConfigError(cat(place(origin, file.Mark()), ": include expects file names"));
      const std::string name = file.Scalar();
      const fs::path path = fs::path(name).is_absolute() ? fs::path(name) : base_dir / name;
      // The error_code form: a name the system refuses (too long, ...) is a ConfigError like a
      // missing file, not a filesystem_error (found by tests/fuzz).
      std::error_code error;
      // Named where it is included: a file may be included from many.
      if (!fs::is_regular_file(path, error)) {
        const bool refused = error && error != std::errc::no_such_file_or_directory;
        throw ConfigError(cat(place(origin, file.Mark()), ": included file '", name, "' does not exist (",
                              path.string(), refused ? ": " + error.message() : "", ")"));
      }
      collect_file(path, open_files, out);
    }
  }
  for (const auto& item : root) {  // not a Clone without "include": that would lose the marks
    if (item.first.Scalar() == "include") continue;
    flatten_one(item.first, item.second, "", origin, out);
  }
}

void apply(RunConfig& config, const Setting& setting) {
  const Schema& s = schema();
  if (const Option* option = s.find(setting.key)) {
    option->set(config, setting.value, setting.where);
    return;
  }
  if (s.is_section(setting.key))
    throw ConfigError(cat(setting.where, ": '", setting.key, "' is a section and expects a map"));
  throw ConfigError(cat(setting.where, ": unknown option '", setting.key, "' (did you mean '",
                        s.closest_key(setting.key), "'?)"));
}

Setting parse_override(const std::string& text) {
  const auto eq = text.find('=');
  const std::string where = "--set " + text;
  if (eq == std::string::npos || eq == 0) throw ConfigError(cat(where, ": expected key=value"));
  const std::string key = text.substr(0, eq);
  const std::string value = text.substr(eq + 1);
  YAML::Node node = value.empty() ? YAML::Node(YAML::NodeType::Null) : parse_yaml(value, where);
  return {key, node, where};
}

RunConfig resolve(const std::vector<Setting>& settings, const std::vector<std::string>& overrides) {
  RunConfig config;
  for (const auto& setting : settings) apply(config, setting);
  for (const auto& text : overrides) apply(config, parse_override(text));
  validate(config);
  return config;
}

}  // namespace

RunConfig load_config(const std::string& file, const std::vector<std::string>& overrides) {
  std::set<std::string> open_files;
  std::vector<Setting> settings;
  collect_file(file, open_files, settings);
  RunConfig config = resolve(settings, overrides);
  if (config.run.output.empty()) config.run.output = "runs/" + fs::path(file).stem().string();
  return config;
}

RunConfig parse_config(const std::string& yaml_text, const std::string& origin,
                       const std::vector<std::string>& overrides) {
  std::set<std::string> open_files;
  std::vector<Setting> settings;
  collect(parse_yaml(yaml_text, origin), origin, fs::current_path(), open_files, settings);
  return resolve(settings, overrides);
}

std::string to_yaml(const RunConfig& config, bool with_help) {
  std::ostringstream out;
  std::vector<std::string> open;  // the section path printed so far
  for (const auto& option : schema().options()) {
    std::vector<std::string> path = split(option.key, '.');
    const std::string leaf = path.back();
    path.pop_back();
    size_t common = 0;
    while (common < open.size() && common < path.size() && open[common] == path[common]) ++common;
    open.resize(common);
    for (size_t i = common; i < path.size(); ++i) {
      out << std::string(2 * i, ' ') << path[i] << ":\n";
      open.push_back(path[i]);
    }
    YAML::Emitter value;
    value << YAML::Flow << option.get(config);
    out << std::string(2 * path.size(), ' ') << leaf << ": " << value.c_str();
    if (with_help) out << "  # " << option.type << ": " << option.help;
    out << "\n";
  }
  return out.str();
}

void validate(const RunConfig& c) {
  auto fail = [](const std::string& key, const std::string& what) {
    throw ConfigError(cat("option '", key, "' ", what));
  };
  if (c.train.epochs < 1) fail("train.epochs", "must be at least 1");
  if (c.train.batch_size < 1) fail("train.batch_size", "must be at least 1");
  if (c.train.eval_batch_size < 1) fail("train.eval_batch_size", "must be at least 1");
  if (c.train.label_smoothing < 0 || c.train.label_smoothing >= 1)
    fail("train.label_smoothing", "must be in [0, 1)");
  if (c.optim.lr <= 0) fail("optim.lr", "must be positive");
  if (c.optim.betas.size() != 2) fail("optim.betas", "needs two values");
  if (c.optim.name != "adamw" && c.optim.name != "sgd") fail("optim.name", "must be adamw or sgd");
  if (c.schedule.name != "cosine" && c.schedule.name != "step" && c.schedule.name != "constant")
    fail("schedule.name", "must be cosine, step or constant");
  if (c.train.accum_steps < 1) fail("train.accum_steps", "must be at least 1");
  if (c.train.loss != "ce" && c.train.loss != "bce") fail("train.loss", "must be ce or bce");
  if (c.train.class_weighting != "none" && c.train.class_weighting != "inverse_frequency")
    fail("train.class_weighting", "must be none or inverse_frequency");
  if (c.train.precision != "fp32" && c.train.precision != "bf16")
    fail("train.precision", "must be fp32 or bf16");
  if (c.train.ema_decay < 0 || c.train.ema_decay >= 1) fail("train.ema_decay", "must be in [0, 1)");
  if (c.train.ema_horizon_epochs < 0) fail("train.ema_horizon_epochs", "must not be negative");
  if (c.train.ema_horizon_epochs > 0 && c.train.ema_decay > 0)
    fail("train.ema_horizon_epochs", "and train.ema_decay both set the EMA decay: give one of them");
  const bool has_ema = c.train.ema_decay > 0 || c.train.ema_horizon_epochs > 0;
  if (c.train.early_stop_patience < 0) fail("train.early_stop_patience", "must not be negative");
  if (c.optim.lr_base_batch < 0) fail("optim.lr_base_batch", "must not be negative");
  if (c.optim.weight_decay < 0) fail("optim.weight_decay", "must not be negative");
  if (c.schedule.min_lr < 0) fail("schedule.min_lr", "must not be negative");
  if (c.schedule.name != "constant" && c.schedule.min_lr > c.optim.lr)  // the cosine would rise
    fail("schedule.min_lr", cat("(", c.schedule.min_lr, ") must not be above optim.lr (", c.optim.lr, ")"));
  if (c.schedule.warmup_lr < 0) fail("schedule.warmup_lr", "must not be negative");
  if (c.data.limit_train < 0) fail("data.limit_train", "must not be negative (0: all)");
  if (c.data.limit_eval < 0) fail("data.limit_eval", "must not be negative (0: all)");
  if (c.run.threads < 0) fail("run.threads", "must not be negative (0: all cores)");
  {  // the model's own size overrides: 0 keeps the registered model's value
    const std::pair<const char*, double> sizes[] = {
        {"model.img_size", c.model.img_size},   {"model.patch_size", c.model.patch_size},
        {"model.in_chans", c.model.in_chans},   {"model.num_classes", c.model.num_classes},
        {"model.embed_dim", c.model.embed_dim}, {"model.depth", c.model.depth},
        {"model.num_heads", c.model.num_heads}, {"model.mlp_ratio", c.model.mlp_ratio}};
    for (const auto& [key, value] : sizes)
      if (value < 0) fail(key, "must not be negative (0: the model's own)");
  }
  {
    const auto& m = c.checkpoint.best_metric;
    const bool known = m == "val_top1" || m == "val_loss" || m == "val_auroc" || m == "ema_val_top1" ||
                       m == "ema_val_loss" || m == "ema_val_auroc";
    if (!known)
      fail("checkpoint.best_metric",
           "must be val_top1, val_loss, val_auroc or their ema_ forms (ema_val_top1, ...)");
    if (m.rfind("ema_", 0) == 0 && !has_ema)
      fail("checkpoint.best_metric",
           "'" + m + "' needs an EMA (train.ema_decay or train.ema_horizon_epochs)");
  }
  if (c.checkpoint.keep_top_k < 0) fail("checkpoint.keep_top_k", "must not be negative");
  if (c.schedule.warmup_epochs < 0) fail("schedule.warmup_epochs", "must not be negative");
  if (c.data.mean.size() != c.data.std.size()) fail("data.std", "needs as many values as data.mean");
  for (double s : c.data.std)
    if (s <= 0) fail("data.std", "values must be positive");
  if (c.data.hflip < 0 || c.data.hflip > 1) fail("data.hflip", "must be a probability in [0, 1]");
  if (c.data.pad_crop < 0) fail("data.pad_crop", "must not be negative");
  auto one_of = [&](const std::string& key, const std::string& value,
                    std::initializer_list<const char*> allowed) {
    for (const char* a : allowed)
      if (value == a) return;
    std::string list;
    for (const char* a : allowed) list += std::string(list.empty() ? "" : " | ") + a;
    fail(key, cat("is '", value, "', expected ", list));
  };
  one_of("data.source", c.data.source, {"idx", "npz", "folder", "csv", "synthetic", "webdataset"});
  one_of("data.scale_16bit", c.data.scale_16bit, {"full", "minmax"});
  one_of("data.sampler", c.data.sampler, {"random", "balanced", "repeated"});
  one_of("data.on_error", c.data.on_error, {"stop", "skip"});
  one_of("data.dicom.frames", c.data.dicom.frames, {"first", "error"});
  if (c.data.dicom.window.mode == "fixed" && !(c.data.dicom.window.width >= 1))
    fail("data.dicom.window",
         cat("width must be at least 1 (DICOM's linear window), got ", c.data.dicom.window.width));
  one_of("eval.tta", c.eval.tta, {"none", "hflip"});
  one_of("train.on_collapse", c.train.on_collapse, {"warn", "stop"});
  if (c.data.channels != 0 && c.data.channels != 1 && c.data.channels != 3)
    fail("data.channels", "must be 0, 1 or 3");
  if (c.data.workers < 0) fail("data.workers", "must not be negative");
  if (c.data.prefetch < 0) fail("data.prefetch", "must not be negative");
  if (c.data.repeats < 1) fail("data.repeats", "must be at least 1");
  if (c.data.shuffle_buffer < 1) fail("data.shuffle_buffer", "must be at least 1 (1: no shuffle buffer)");
  if (c.data.shard_streams < 1) fail("data.shard_streams", "must be at least 1");
  if (!c.data.classes_file.empty() && !c.data.classes.empty())
    fail("data.classes_file", "give data.classes or data.classes_file, not both");
  if (c.data.mixup < 0 || c.data.cutmix < 0) fail("data.mixup", "alphas must not be negative");
  if (c.data.mixup_prob < 0 || c.data.mixup_prob > 1)
    fail("data.mixup_prob", "must be a probability in [0, 1]");
  if (c.data.mixup_switch_prob < 0 || c.data.mixup_switch_prob > 1)
    fail("data.mixup_switch_prob", "must be a probability in [0, 1]");
  if (c.data.synthetic_samples < 1 || c.data.synthetic_size < 1 || c.data.synthetic_classes < 1)
    fail("data.synthetic_samples", "synthetic sizes must be positive");
  if (c.run.device != "cpu" && c.run.device.rfind("cuda", 0) != 0)
    fail("run.device", "must be cpu, cuda or cuda:N");
  if (c.run.log_every < 1) fail("run.log_every", "must be at least 1");
  if (c.model.drop_path < 0 || c.model.drop_path >= 1) fail("model.drop_path", "must be in [0, 1)");
  if (!(c.eval.threshold >= 0 && c.eval.threshold <= 1)) fail("eval.threshold", "must be in [0, 1]");
  if (c.eval.positive_class.empty()) fail("eval.positive_class", "must name a class (or give its index)");
  if (!(c.data.val_fraction >= 0 && c.data.val_fraction < 1)) fail("data.val_fraction", "must be in [0, 1)");
  if (c.eval.bootstrap < 0) fail("eval.bootstrap", "must not be negative");
  if (c.eval.ece_bins < 1) fail("eval.ece_bins", "must be at least 1");
  if (c.dist.backend != "auto" && c.dist.backend != "nccl" && c.dist.backend != "gloo")
    fail("dist.backend", "must be auto, nccl or gloo");
  if (c.dist.connect_timeout_s <= 0) fail("dist.connect_timeout_s", "must be positive");
  if (c.dist.timeout_s <= 0) fail("dist.timeout_s", "must be positive");
  if (c.dist.bucket_mb <= 0) fail("dist.bucket_mb", "must be positive");
  if (!c.model.landmarks.empty() && c.model.landmarks != "conv" && c.model.landmarks != "avgpool")
    fail("model.landmarks", "must be conv or avgpool");
  if (c.model.landmark_count < 0) fail("model.landmark_count", "must not be negative");
  if (c.model.landmark_count > 0) {
    int side = 1;
    while (side * side < c.model.landmark_count) ++side;
    if (side * side != c.model.landmark_count)
      fail("model.landmark_count", "must be a square (49 = 7 x 7, ...)");
  }
  for (int r : c.model.sr_ratios)
    if (r < 1) fail("model.sr_ratios", "values must be at least 1");
  for (int k : c.model.local_conv)
    if (k < 0 || (k > 0 && k % 2 == 0)) fail("model.local_conv", "values must be 0 or odd");
  if (c.model.newton_iters < 0) fail("model.newton_iters", "must not be negative");
  if (c.model.seqnorm_stat != "standardise" && c.model.seqnorm_stat != "l2")
    fail("model.seqnorm_stat", "must be standardise or l2");
  if (!(c.model.seqnorm_eps > 0)) fail("model.seqnorm_eps", "must be positive");
}

}  // namespace softvit
