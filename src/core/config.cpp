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
  for (const auto& option : schema().options())  // each option's declared limit
    if (std::string why = option.check(c); !why.empty()) fail(option.key, why);

  // Limits that relate two options.
  if (c.train.ema_horizon_epochs > 0 && c.train.ema_decay > 0)
    fail("train.ema_horizon_epochs", "and train.ema_decay both set the EMA decay: give one of them");
  const bool has_ema = c.train.ema_decay > 0 || c.train.ema_horizon_epochs > 0;
  if (c.checkpoint.best_metric.rfind("ema_", 0) == 0 && !has_ema)
    fail("checkpoint.best_metric",
         "'" + c.checkpoint.best_metric + "' needs an EMA (train.ema_decay or train.ema_horizon_epochs)");
  if (c.schedule.name != "constant" && c.schedule.min_lr > c.optim.lr)  // the cosine would rise
    fail("schedule.min_lr", cat("(", c.schedule.min_lr, ") must not be above optim.lr (", c.optim.lr, ")"));
  if (c.data.mean.size() != c.data.std.size()) fail("data.std", "needs as many values as data.mean");
  if (!c.data.classes_file.empty() && !c.data.classes.empty())
    fail("data.classes_file", "give data.classes or data.classes_file, not both");
}

}  // namespace softvit
