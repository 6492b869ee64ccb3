#include "data/webdataset/shard_reader.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/strings.h"

namespace softvit {
namespace {

std::string trimmed(const std::vector<uint8_t>& bytes) {
  std::string text(bytes.begin(), bytes.end());
  const size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

// A label, or the reason it is not one (`label` left as is).
std::string parse_label(const std::vector<uint8_t>& bytes, const LabelRule& rule, int64_t& label) {
  int64_t value = -1;
  if (rule.json_field.empty()) {
    const std::string text = trimmed(bytes);
    if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos)
      return cat("the .cls member holds '", text.substr(0, 40), "', not a class index");
    value = std::stoll(text);
  } else {
    const auto json = nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr, /*allow_exceptions=*/false);
    if (json.is_discarded() || !json.is_object()) return "the .json member is not a JSON object";
    const auto field = json.find(rule.json_field);
    if (field == json.end()) return cat("the .json member has no field '", rule.json_field, "'");
    if (field->is_number_integer()) {
      value = field->get<int64_t>();
    } else if (field->is_string()) {
      const auto name = field->get<std::string>();
      const auto& names = rule.class_names;
      const auto at = std::find(names.begin(), names.end(), name);
      if (at == names.end())
        return names.empty() ? cat("label '", name,
                                   "' is a class name but no class names are given (data.classes or "
                                   "data.classes_file)")
                             : cat("label '", name, "' is not one of the ", names.size(), " classes");
      value = at - names.begin();
    } else {
      return cat("the .json field '", rule.json_field, "' is neither a class index nor a class name");
    }
  }
  if (value < 0) return cat("label ", value, " is negative");
  if (rule.classes > 0 && value >= rule.classes)
    return cat("label ", value, " is out of range 0..", rule.classes - 1, " (", rule.classes, " classes)");
  label = value;
  return "";
}

}  // namespace

bool split_member_name(const std::string& path, std::string& key, std::string& extension) {
  const size_t slash = path.rfind('/');
  const size_t name = slash == std::string::npos ? 0 : slash + 1;
  const size_t dot = path.find('.', name);
  if (dot == std::string::npos || dot == name || dot + 1 == path.size()) return false;
  key = path.substr(0, dot);
  extension = path.substr(dot + 1);
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return true;
}

bool is_image_extension(const std::string& extension) {
  for (const char* known :
       {"jpg", "jpeg", "png", "webp", "bmp", "tif", "tiff", "pgm", "ppm", "pbm", "dcm", "dicom"})
    if (extension == known) return true;
  return false;
}

ShardReader::ShardReader(const std::string& path, const LabelRule& rule, bool with_images)
    : tar_(path), rule_(rule), with_images_(with_images) {}

void ShardReader::add(ShardSample& sample, const std::string& extension) {
  if (is_image_extension(extension)) {
    if (!sample.image_extension.empty()) return;  // the first image of the sample counts
    sample.image_extension = extension;
    if (with_images_) sample.image = tar_.read();
    return;
  }
  const bool label_member = rule_.json_field.empty() ? extension == "cls" : extension == "json";
  if (!label_member || has_label_member_) return;
  has_label_member_ = true;
  const std::string problem = parse_label(tar_.read(), rule_, sample.label);
  if (sample.problem.empty()) sample.problem = problem;
}

bool ShardReader::next(ShardSample& sample) {
  sample = ShardSample{};
  has_label_member_ = false;
  std::string key, extension;
  TarMember member;
  if (pending_) {
    key = pending_key_;
    extension = pending_extension_;
    pending_ = false;
  } else {
    do {
      if (!tar_.next(member)) return false;
    } while (!split_member_name(member.name, key, extension));
  }
  sample.key = key;
  add(sample, extension);
  while (tar_.next(member)) {
    if (!split_member_name(member.name, key, extension)) continue;
    if (key != sample.key) {  // the first member of the next sample: keep it for then
      pending_ = true;
      pending_key_ = key;
      pending_extension_ = extension;
      break;
    }
    add(sample, extension);
  }
  if (sample.problem.empty() && sample.image_extension.empty())
    sample.problem = "no image member (jpg, jpeg, png, webp, dcm, ...)";
  if (sample.problem.empty() && !has_label_member_)
    sample.problem = rule_.json_field.empty()
                         ? "no .cls member (its label)"
                         : cat("no .json member (its label is field '", rule_.json_field, "')");
  return true;
}

}  // namespace softvit
